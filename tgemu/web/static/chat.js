// The emulator's chat page: one user's private chat with the bot, kept fresh by long polls
// (/api/chat?after=cursor&wait=20 answers as soon as the bot sends, edits or deletes).
// The bubbles are drawn by bubbles.js.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  users: [],
  user: null,
  cursor: null,
  gen: 0, // bumped on every user switch: answers for an older chat are dropped
  controller: null,
  nodes: new Map(), // message id -> {key, node}
  commands: [],
  recorder: null,
  subtitle: "",
};

async function api(path, { body, signal } = {}) {
  const init = { signal, headers: {} };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function toast(text, ms = 2600) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, ms);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

// ------------------------------------------------------------------ talking to the bot

async function refresh() {
  const gen = state.gen;
  const data = await api(`/api/chat/${state.user}`);
  if (gen === state.gen) renderChat(data);
}

async function poll(gen) {
  while (gen === state.gen) {
    const controller = new AbortController();
    state.controller = controller;
    const query = state.cursor === null ? "" : `?after=${state.cursor}&wait=20`;
    try {
      const data = await api(`/api/chat/${state.user}${query}`, { signal: controller.signal });
      if (gen !== state.gen) return;
      $("bot-username").textContent = state.subtitle;
      renderChat(data);
    } catch (error) {
      if (gen !== state.gen) return;
      $("bot-username").textContent = "连接中断，正在重试…";
      await sleep(1500);
    }
  }
}

async function send(content) {
  try {
    await api("/api/send", { body: { user_id: state.user, ...content } });
    await refresh();
  } catch (error) {
    toast(`发送失败：${error.message}`);
  }
}

async function press(messageId, data, button) {
  button.disabled = true;
  try {
    const result = await api("/api/press", {
      body: { user_id: state.user, message_id: messageId, data },
    });
    const answer = result.answer;
    if (answer?.show_alert && answer.text) showAlert(answer.text);
    else if (answer?.text) toast(answer.text);
    if (answer?.url) window.open(answer.url, "_blank", "noopener");
    await refresh();
  } catch (error) {
    toast(`按钮无效：${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function sendText() {
  const box = $("text");
  const text = box.value.trim();
  if (!text) return;
  box.value = "";
  $("menu").hidden = true;
  send({ text });
}

function readBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function sendFile(kind, blob) {
  const content = { data_b64: await readBase64(blob) };
  if (kind === "photo" && $("text").value.trim()) {
    content.caption = $("text").value.trim(); // the text box doubles as the caption
    $("text").value = "";
  }
  $("attach").hidden = true;
  await send({ [kind]: content });
}

// ------------------------------------------------------------------ command menu

async function loadCommands() {
  const gen = state.gen;
  try {
    const commands = await api(`/api/commands/${state.user}`);
    if (gen === state.gen) state.commands = commands;
  } catch (error) {
    state.commands = [];
  }
}

function showMenu(filter = "") {
  const menu = $("menu");
  menu.replaceChildren();
  const wanted = state.commands.filter((c) => `/${c.command}`.startsWith(filter || "/"));
  for (const c of wanted) {
    const item = el("button", "");
    item.type = "button";
    item.append(el("span", "cmd-name", `/${c.command}`), el("span", "cmd-desc", c.description));
    item.addEventListener("click", () => {
      $("text").value = "";
      menu.hidden = true;
      send({ text: `/${c.command}` });
    });
    menu.append(item);
  }
  if (!wanted.length && !filter) menu.append(el("div", "panel", "这个机器人没有命令菜单"));
  menu.hidden = !menu.childElementCount;
}

// ------------------------------------------------------------------ users

function fillUsers() {
  const select = $("user-select");
  select.replaceChildren();
  for (const u of state.users) {
    const option = el("option", "", `${u.name}${u.role ? ` · ${u.role}` : ""}`);
    option.value = String(u.id);
    option.title = `ID ${u.id}`;
    select.append(option);
  }
  if (state.user !== null) select.value = String(state.user);
}

function switchUser(id) {
  state.gen += 1;
  state.controller?.abort();
  state.user = id;
  state.cursor = null;
  state.nodes.clear();
  state.commands = [];
  $("chat").replaceChildren();
  $("menu").hidden = true;
  $("keyboard").hidden = true;
  $("start").hidden = true;
  $("user-select").value = String(id);
  loadCommands();
  poll(state.gen);
}

async function addUser() {
  const name = $("new-user-name").value.trim();
  if (!name) return toast("请填写名字");
  try {
    const user = await api("/api/users", { body: { id: $("new-user-id").value.trim(), name } });
    state.users = state.users.filter((u) => u.id !== user.id).concat([user]);
    fillUsers();
    $("new-user").hidden = true;
    $("new-user-id").value = "";
    $("new-user-name").value = "";
    switchUser(user.id);
  } catch (error) {
    toast(`无法添加：${error.message}`);
  }
}

// ------------------------------------------------------------------ recording (optional)

function setUpRecording() {
  const type = "audio/ogg;codecs=opus"; // a voice note is Ogg/Opus; other containers won't do
  if (!window.MediaRecorder || !MediaRecorder.isTypeSupported(type)) return;
  if (!navigator.mediaDevices?.getUserMedia) return;
  const button = $("record-button");
  button.hidden = false;
  button.addEventListener("click", async () => {
    if (state.recorder) {
      state.recorder.stop();
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const parts = [];
      const recorder = new MediaRecorder(stream, { mimeType: type });
      recorder.ondataavailable = (event) => parts.push(event.data);
      recorder.onstop = () => {
        stream.getTracks().forEach((track) => track.stop());
        state.recorder = null;
        button.textContent = "⏺ 录音";
        sendFile("voice", new Blob(parts, { type }));
      };
      recorder.start();
      state.recorder = recorder;
      button.textContent = "⏹ 停止并发送";
    } catch (error) {
      toast(`无法录音：${error.message}`);
    }
  });
}

// ------------------------------------------------------------------ wiring

function wire() {
  $("send-button").addEventListener("click", sendText);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });
  $("text").addEventListener("input", () => {
    const value = $("text").value;
    if (value.startsWith("/") && !value.includes(" ")) showMenu(value);
    else $("menu").hidden = true;
  });
  $("menu-button").addEventListener("click", async () => {
    if (!$("menu").hidden) {
      $("menu").hidden = true;
      return;
    }
    await loadCommands();
    showMenu();
  });
  $("attach-button").addEventListener("click", () => {
    $("attach").hidden = !$("attach").hidden;
    $("location").hidden = true;
  });
  $("location-toggle").addEventListener("click", () => {
    $("location").hidden = false;
    $("attach").hidden = true;
  });
  $("location-send").addEventListener("click", () => {
    const latitude = Number($("latitude").value);
    const longitude = Number($("longitude").value);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return toast("请填写数字");
    $("location").hidden = true;
    send({ location: { latitude, longitude } });
  });
  for (const [input, kind] of [["photo-input", "photo"], ["voice-input", "voice"]]) {
    $(input).addEventListener("change", async (event) => {
      const file = event.target.files[0];
      event.target.value = "";
      if (file) await sendFile(kind, file);
    });
  }
  $("start-button").addEventListener("click", () => send({ text: "/start" }));
  $("user-select").addEventListener("change", (e) => switchUser(Number(e.target.value)));
  $("new-user-toggle").addEventListener("click", () => {
    $("new-user").hidden = !$("new-user").hidden;
  });
  $("new-user-add").addEventListener("click", addUser);
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
  $("chat").addEventListener("click", (event) => {
    const spoiler = event.target.closest("tg-spoiler");
    if (spoiler) spoiler.classList.add("shown");
    const command = event.target.closest("a.cmd");
    if (command) {
      event.preventDefault();
      send({ text: command.textContent });
    }
  });
  setUpRecording();
}

async function main() {
  wire();
  const session = await api("/api/session");
  $("bot-name").textContent = session.bot.name;
  state.subtitle = session.bot.username ? `@${session.bot.username} · 机器人` : "机器人";
  $("bot-username").textContent = state.subtitle;
  document.title = `${session.bot.name} · 离线聊天`;
  state.users = session.users;
  fillUsers();
  if (state.users.length) switchUser(state.users[0].id);
  else $("new-user").hidden = false;
}

main().catch((error) => toast(`页面无法启动：${error.message}`, 10000));
