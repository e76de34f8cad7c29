// Bubbles for the chat page (loaded before chat.js, which owns the state and the network).
// Message HTML comes from the server (tgemu/web/render.py: a fixed tag set, all text
// escaped); everything else is built with textContent.
"use strict";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const fileUrl = (id) => `/api/files/${encodeURIComponent(id)}`;

function clock(seconds) {
  const date = new Date(seconds * 1000);
  return date.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
}

// ------------------------------------------------------------------ messages

function media(m, box) {
  if (m.photo) {
    const img = el("img", "photo");
    img.src = fileUrl(m.photo.file_id);
    img.alt = "照片";
    if (m.photo.width && m.photo.height) {
      img.width = Math.min(300, m.photo.width);
      img.height = Math.round((img.width * m.photo.height) / m.photo.width);
    }
    box.append(img);
  }
  if (m.voice) {
    const line = el("div", "voice");
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = fileUrl(m.voice.file_id);
    line.title = `语音 ${m.voice.duration || 0} 秒`;
    line.append("🎤", audio);
    box.append(line);
  }
  if (m.document) {
    const link = el("a", "doc", `📄 ${m.document.file_name || "文件"}`);
    link.href = fileUrl(m.document.file_id);
    link.download = m.document.file_name || "file";
    if (m.document.file_size) link.append(` (${Math.ceil(m.document.file_size / 1024)} KB)`);
    box.append(link);
  }
  if (m.location) {
    const { latitude, longitude } = m.location;
    box.append(el("div", "loc", `📍 位置 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
  }
  if (m.summary) box.append(el("div", "summary", m.summary));
}

function inlineKeyboard(m) {
  const keyboard = el("div", "inline");
  for (const row of m.buttons) {
    const line = el("div", "line");
    for (const b of row) {
      if (b.url) {
        const link = el("a", "", `${b.text} ↗`);
        link.href = b.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        line.append(link);
      } else {
        const button = el("button", "", b.text);
        button.type = "button";
        if (b.data) button.addEventListener("click", () => press(m.id, b.data, button));
        else button.disabled = true;
        line.append(button);
      }
    }
    keyboard.append(line);
  }
  return keyboard;
}

function bubble(m) {
  const row = el("div", `row ${m.mine ? "mine" : "bot"}`);
  row.dataset.id = String(m.id);
  const box = el("div", "bubble");
  if (m.reply_to) box.append(el("div", "quote", m.reply_to));
  media(m, box);
  if (m.html) {
    const text = el("div", "text");
    text.innerHTML = m.html; // safe: built from a fixed tag set with every text escaped
    box.append(text);
  }
  const meta = el("div", "meta");
  if (m.edited) meta.append(el("span", "edited", "已编辑"));
  meta.append(clock(m.date));
  box.append(meta);
  if (m.buttons.length) box.append(inlineKeyboard(m));
  row.append(box);
  return row;
}

function renderChat(data) {
  if (state.cursor !== null && data.cursor < state.cursor) return; // an older answer
  state.cursor = data.cursor;
  const chat = $("chat");
  let grew = false;
  const seen = new Set();
  let previous = null;
  for (const m of data.messages) {
    seen.add(m.id);
    const key = JSON.stringify(m);
    let entry = state.nodes.get(m.id);
    if (!entry || entry.key !== key) {
      const node = bubble(m);
      if (entry) entry.node.replaceWith(node);
      else if (previous) previous.after(node);
      else chat.prepend(node);
      grew = grew || !entry;
      entry = { key, node };
      state.nodes.set(m.id, entry);
    }
    previous = entry.node;
  }
  for (const [id, entry] of state.nodes) {
    if (!seen.has(id)) {
      entry.node.remove(); // deleted by the bot
      state.nodes.delete(id);
    }
  }
  $("start").hidden = data.messages.length > 0;
  replyKeyboard(data.keyboard);
  if (grew) chat.scrollTop = chat.scrollHeight; // new messages: follow them, as apps do
}

function replyKeyboard(keyboard) {
  const box = $("keyboard");
  box.replaceChildren();
  box.hidden = !keyboard;
  $("text").placeholder = keyboard?.placeholder || "写消息…";
  if (!keyboard) return;
  for (const row of keyboard.rows) {
    const line = el("div", "line");
    for (const b of row) {
      const button = el("button", "", b.text);
      button.type = "button";
      button.addEventListener("click", () => {
        if (b.request_location) $("location").hidden = false;
        else if (b.request_contact) send({ contact: {} });
        else send({ text: b.text });
      });
      line.append(button);
    }
    box.append(line);
  }
}
