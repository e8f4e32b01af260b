// The sandbox chat page: a small stand-in for the LINE app.
// Every user action asks the server for a signed webhook body, then POSTs it to /callback
// itself, exactly as LINE would. Message content is only ever put in the page as text.
(function () {
  "use strict";

  const POLL_MS = 700;
  // Right after the user sends, the bot's answer is on its way: look often for a moment (EAGER_POLLS
  // times), so it shows within a fraction of a second instead of at the next ordinary poll.
  const EAGER_POLL_MS = 120;
  const EAGER_POLLS = 12;
  const PAGE_SIZE = 200; // the most /sandbox/api/messages answers at once
  const MAX_FILE_BYTES = 10 * 1024 * 1024; // photos, videos and voice messages alike
  const PINNED = "ตำแหน่งที่ปักหมุด"; // the title of a location the user did not name
  const STORAGE_KEY = "rongtook.sandbox.userId";

  const $ = (id) => document.getElementById(id);
  const els = {
    userSelect: $("user-select"),
    addUserForm: $("add-user-form"),
    newUserName: $("new-user-name"),
    addGroup: $("add-group-button"),
    speakerField: $("speaker-field"),
    speaker: $("speaker-select"),
    follow: $("follow-button"),
    unfollow: $("unfollow-button"),
    messages: $("messages"),
    emptyHint: $("empty-hint"),
    notice: $("notice"),
    quickReplies: $("quick-replies"),
    locationPanel: $("location-panel"),
    closeLocation: $("close-location"),
    landmark: $("landmark-select"),
    placeTitle: $("place-title-input"),
    latitude: $("latitude-input"),
    longitude: $("longitude-input"),
    sendLocation: $("send-location-button"),
    composer: $("composer"),
    locationButton: $("location-button"),
    photo: $("photo-input"),
    media: $("media-input"),
    stickerButton: $("sticker-button"),
    stickerPanel: $("sticker-panel"),
    closeStickers: $("close-stickers"),
    text: $("text-input"),
    send: $("send-button"),
    connection: $("connection"),
    richMenu: $("rich-menu"),
    richMenuPanel: $("rich-menu-panel"),
    richMenuFrame: $("rich-menu-frame"),
    richMenuImage: $("rich-menu-image"),
    richMenuBar: $("rich-menu-bar"),
  };

  const state = {
    userId: "",
    users: {}, // user id -> {user_id, display_name, group}: names of a group's members on their bubbles
    lastId: 0,
    generation: 0, // bumped on every user switch, so late answers for the old user are dropped
    polling: false,
    pollAgain: false,
    pollTimer: null,
    eagerPolls: 0, // quick polls left after a send
    sendingText: false,
    stickToBottom: true,
    lastItem: null, // the newest message shown: {direction, payload}
    richMenuId: null, // the rich menu shown under the chat (LINE's per-user link, else the default)
    richMenuOpen: true,
    richMenuTimer: null,
  };

  // ---- small helpers --------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  let noticeTimer = null;
  function notify(message, kind) {
    els.notice.textContent = message;
    els.notice.className = "notice " + (kind || "error");
    els.notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { els.notice.hidden = true; }, kind === "info" ? 4000 : 8000);
  }

  function clearNotice() {
    clearTimeout(noticeTimer);
    els.notice.hidden = true;
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (_) {
      return {};
    }
  }

  function safeUrl(url) {
    // Only web addresses are followed or shown; never javascript: or the like.
    if (typeof url !== "string" || !url.trim()) return null;
    try {
      const parsed = new URL(String(url), window.location.href);
      return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function timeOf(iso) {
    if (!iso) return "";
    const text = /[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z";
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) return "";
    return date.toLocaleTimeString("th-TH", { hour: "2-digit", minute: "2-digit" });
  }

  // ---- users ----------------------------------------------------------------------------

  function addUserOption(user) {
    state.users[user.user_id] = user;
    const option = el("option", "", (user.group ? "👥 " : "") + user.display_name);
    option.value = user.user_id;
    els.userSelect.appendChild(option);
    if (!user.group) {
      // A LINE group's members: any sandbox user may speak in a group (LINE would name them only
      // once they accept the bot's terms; "ไม่ระบุตัวตน" is a member LINE does not name).
      const member = el("option", "", user.display_name);
      member.value = user.user_id;
      els.speaker.appendChild(member);
    }
    return option;
  }

  function inGroup() {
    const chat = state.users[state.userId];
    return Boolean(chat && chat.group);
  }

  async function loadUsers() {
    let users = [];
    try {
      const response = await fetch("/sandbox/api/users");
      if (!response.ok) throw new Error("HTTP " + response.status);
      users = (await readJson(response)).users || [];
    } catch (err) {
      notify("โหลดรายชื่อผู้ใช้ไม่สำเร็จ กรุณารีเฟรชหน้านี้ค่ะ (" + err.message + ")");
      return;
    }
    els.userSelect.textContent = "";
    els.speaker.textContent = "";
    const anonymous = el("option", "", "ไม่ระบุตัวตน (ยังไม่ยอมรับเงื่อนไขของบอท)");
    anonymous.value = "";
    els.speaker.appendChild(anonymous);
    users.forEach(addUserOption);
    const saved = localStorage.getItem(STORAGE_KEY);
    const chosen = users.some((u) => u.user_id === saved) ? saved : (users[0] && users[0].user_id) || "";
    els.userSelect.value = chosen;
    switchUser(chosen);
  }

  function switchUser(userId) {
    state.userId = userId;
    state.lastId = 0;
    state.generation += 1;
    state.lastItem = null;
    state.stickToBottom = true;
    if (userId) localStorage.setItem(STORAGE_KEY, userId);
    const group = inGroup();
    els.speakerField.hidden = !group;
    els.follow.textContent = group ? "เชิญบอทเข้ากลุ่ม" : "เพิ่มเพื่อน";
    els.unfollow.textContent = group ? "นำบอทออกจากกลุ่ม" : "บล็อก";
    els.messages.textContent = "";
    els.messages.appendChild(els.emptyHint);
    els.emptyHint.hidden = false;
    renderQuickReplies();
    clearNotice();
    pollNow();
    state.richMenuId = null;
    els.richMenu.hidden = true;
    loadRichMenu();
  }

  async function addUser(event, group) {
    event.preventDefault();
    const name = els.newUserName.value.trim();
    if (!name) {
      notify("กรุณาพิมพ์ชื่อผู้ใช้ใหม่ก่อนค่ะ");
      els.newUserName.focus();
      return;
    }
    try {
      const response = await fetch("/sandbox/api/users", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ display_name: name, group: group === true }),
      });
      const data = await readJson(response);
      if (!response.ok) {
        notify(data.error || "เพิ่มผู้ใช้ไม่สำเร็จค่ะ (HTTP " + response.status + ")");
        return;
      }
      addUserOption(data.user);
      els.userSelect.value = data.user.user_id;
      els.newUserName.value = "";
      switchUser(data.user.user_id);
      notify((group === true ? "สร้างกลุ่ม “" : "เพิ่มผู้ใช้ “") + data.user.display_name + "” แล้วค่ะ", "info");
    } catch (err) {
      notify("เชื่อมต่อเซิร์ฟเวอร์ไม่ได้ กรุณาลองใหม่ค่ะ");
    }
  }

  // ---- sending: build a signed webhook body, then deliver it like LINE -------------------

  async function sendEvent(fields) {
    if (!state.userId) {
      notify("กรุณาเลือกผู้ใช้ก่อนค่ะ");
      return false;
    }
    const payload = Object.assign({ user_id: state.userId }, fields);
    if (inGroup()) payload.speaker = els.speaker.value; // who, in the group, typed or tapped
    let eventId = null;
    try {
      const built = await fetch("/sandbox/api/events", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      const data = await readJson(built);
      if (!built.ok) {
        notify(data.error || "ส่งไม่สำเร็จค่ะ (HTTP " + built.status + ")");
        return false;
      }
      eventId = JSON.parse(data.body).events[0].webhookEventId;
      const delivered = await fetch("/callback", {
        method: "POST",
        body: data.body,
        headers: { "X-Line-Signature": data.signature, "Content-Type": "application/json" },
      });
      if (delivered.status !== 200) {
        await forget(eventId);
        notify("บอทไม่รับข้อความนี้ (HTTP " + delivered.status + ") กรุณาลองใหม่ค่ะ");
        pollNow();
        return false;
      }
    } catch (err) {
      if (eventId) await forget(eventId);
      notify("เชื่อมต่อเซิร์ฟเวอร์ไม่ได้ กรุณาลองใหม่ค่ะ");
      return false;
    }
    state.stickToBottom = true;
    state.eagerPolls = EAGER_POLLS;
    pollNow();
    return true;
  }

  // The bot never got this event: take it out of the conversation (the text stays in the box to resend).
  async function forget(eventId) {
    try {
      await fetch("/sandbox/api/events/" + encodeURIComponent(eventId), { method: "DELETE" });
    } catch (err) {
      // the server is gone too; the conversation shows the truth once it is back
    }
  }

  async function sendText() {
    const text = els.text.value.trim();
    if (!text) {
      notify("กรุณาพิมพ์ข้อความก่อนกดส่งค่ะ");
      els.text.focus();
      return;
    }
    if (state.sendingText) return;
    state.sendingText = true;
    els.send.disabled = true;
    try {
      if (await sendEvent({ type: "text", text: text })) {
        // Only what was sent is cleared; anything typed meanwhile stays.
        if (els.text.value.trim() === text) els.text.value = "";
        autoGrow();
        clearNotice();
      }
    } finally {
      state.sendingText = false;
      els.send.disabled = false;
      els.text.focus();
    }
  }

  // Content the bot will fetch (as it fetches from LINE): upload it, then send the message event.
  async function sendFile(file, fields, what) {
    if (file.size > MAX_FILE_BYTES) {
      notify(what + "ใหญ่เกิน 10 MB กรุณาเลือกไฟล์ที่เล็กกว่านี้ค่ะ");
      return;
    }
    const form = new FormData();
    form.append("file", file, file.name || "file");
    notify("กำลังอัปโหลด" + what + "…", "info");
    try {
      const response = await fetch("/sandbox/api/content", { method: "POST", body: form });
      const data = await readJson(response);
      if (!response.ok) {
        notify(data.error || "อัปโหลด" + what + "ไม่สำเร็จค่ะ (HTTP " + response.status + ")");
        return;
      }
      const sent = Object.assign({ type: data.kind, message_id: data.message_id }, await fields);
      if (await sendEvent(sent)) clearNotice();
    } catch (err) {
      notify("อัปโหลด" + what + "ไม่สำเร็จ เชื่อมต่อเซิร์ฟเวอร์ไม่ได้ค่ะ");
    }
  }

  function sendPhoto(file) {
    if (!file) return;
    if (!file.type.startsWith("image/")) {
      notify("กรุณาเลือกไฟล์รูปภาพค่ะ");
      return;
    }
    sendFile(file, {}, "รูปภาพ");
  }

  function sendMedia(file) {
    if (!file) return;
    const video = file.type.startsWith("video/");
    if (!video && !file.type.startsWith("audio/")) {
      notify("กรุณาเลือกไฟล์วิดีโอหรือไฟล์เสียงค่ะ");
      return;
    }
    // LINE tells the bot how long a video or voice message is, when the file says.
    const fields = mediaDuration(file, video).then((ms) => (ms === null ? {} : { duration_ms: ms }));
    sendFile(file, fields, video ? "วิดีโอ" : "ข้อความเสียง");
  }

  function mediaDuration(file, video) {
    return new Promise((resolve) => {
      const media = document.createElement(video ? "video" : "audio");
      const url = URL.createObjectURL(file);
      let timer = null;
      const finish = (ms) => {
        if (timer === null) return;
        clearTimeout(timer);
        timer = null;
        media.onloadedmetadata = media.onerror = null;
        URL.revokeObjectURL(url);
        resolve(ms);
      };
      timer = setTimeout(() => finish(null), 2000);
      media.preload = "metadata";
      media.onloadedmetadata = () =>
        finish(Number.isFinite(media.duration) ? Math.round(media.duration * 1000) : null);
      media.onerror = () => finish(null);
      media.src = url;
    });
  }

  async function sendSticker(choice) {
    const ok = await sendEvent({
      type: "sticker",
      package_id: choice.dataset.packageId,
      sticker_id: choice.dataset.stickerId,
    });
    if (ok) toggleStickerPanel(false);
  }

  async function sendLocation() {
    const latText = els.latitude.value.trim();
    const lngText = els.longitude.value.trim();
    const latitude = Number(latText);
    const longitude = Number(lngText);
    if (!latText || !lngText || !Number.isFinite(latitude) || !Number.isFinite(longitude)) {
      notify("กรุณาเลือกสถานที่ หรือกรอกละติจูดและลองจิจูดเป็นตัวเลขค่ะ");
      return;
    }
    if (latitude < -90 || latitude > 90 || longitude < -180 || longitude > 180) {
      notify("ละติจูดต้องอยู่ระหว่าง -90 ถึง 90 และลองจิจูดระหว่าง -180 ถึง 180 ค่ะ");
      return;
    }
    const option = els.landmark.selectedOptions[0];
    const named = option && option.value !== "";
    const ok = await sendEvent({
      type: "location",
      latitude: latitude,
      longitude: longitude,
      title: els.placeTitle.value.trim() || PINNED,
      address: named ? option.dataset.address || "" : "", // none: the server names the district
    });
    if (ok) {
      clearNotice();
      toggleLocationPanel(false);
    }
  }

  function toggleLocationPanel(open) {
    const show = open === undefined ? els.locationPanel.hidden : open;
    els.locationPanel.hidden = !show;
    els.locationButton.classList.toggle("active", show);
    if (show) {
      toggleStickerPanel(false);
      els.landmark.focus();
    }
  }

  function toggleStickerPanel(open) {
    const show = open === undefined ? els.stickerPanel.hidden : open;
    els.stickerPanel.hidden = !show;
    els.stickerButton.classList.toggle("active", show);
    if (show) toggleLocationPanel(false);
  }

  function chooseLandmark() {
    const option = els.landmark.selectedOptions[0];
    if (!option || option.value === "") return;
    els.latitude.value = option.dataset.latitude;
    els.longitude.value = option.dataset.longitude;
    els.placeTitle.value = option.textContent;
  }

  // What the page shows for a sticker: the face its picker shows (LINE's own artwork is not fetched).
  function stickerFace(message) {
    const choice = Array.from(document.querySelectorAll(".sticker-choice")).find((b) =>
      b.dataset.packageId === String(message.packageId) && b.dataset.stickerId === String(message.stickerId));
    return choice ? choice.dataset.face : "🙂";
  }

  function duration(ms) {
    const seconds = Math.round(Number(ms) / 1000);
    if (!Number.isFinite(seconds) || seconds < 0) return "";
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  // ---- actions (quick replies, template and Flex buttons) -------------------------------

  function actionLabel(action) {
    return (action && (action.label || action.text || action.displayText)) || "ปุ่ม";
  }

  function runAction(action) {
    if (!action || typeof action !== "object") return;
    switch (action.type) {
      case "message":
        sendEvent({ type: "text", text: String(action.text || action.label || "") });
        break;
      case "postback":
        sendEvent({
          type: "postback",
          data: String(action.data || ""),
          display_text: String(action.displayText || action.label || ""),
        });
        break;
      case "location":
        toggleLocationPanel(true);
        break;
      case "camera":
      case "cameraRoll":
        els.photo.click();
        break;
      case "uri": {
        const url = safeUrl(action.uri);
        if (url) window.open(url, "_blank", "noopener");
        else notify("เปิดลิงก์นี้ในแชตทดลองไม่ได้ค่ะ", "info");
        break;
      }
      case "datetimepicker": {
        const mode = action.mode || "date";
        const hint = { date: "YYYY-MM-DD", time: "HH:MM", datetime: "YYYY-MM-DDTHH:MM" }[mode] || "YYYY-MM-DD";
        const value = window.prompt("เลือก" + (mode === "time" ? "เวลา" : "วันที่") + " (" + hint + ")",
          action.initial || "");
        if (value === null) return;
        if (!value.trim()) {
          notify("ยังไม่ได้เลือกวันที่ค่ะ", "info");
          return;
        }
        sendEvent({ type: "postback", data: String(action.data || ""), display_text: value.trim() });
        break;
      }
      default:
        notify("แชตทดลองยังไม่รองรับปุ่มชนิด “" + String(action.type || "ไม่ทราบ") + "” ค่ะ", "info");
    }
  }

  function actionButton(action, className) {
    const button = el("button", className || "action", actionLabel(action));
    button.type = "button";
    button.addEventListener("click", () => runAction(action));
    return button;
  }

  function renderQuickReplies() {
    els.quickReplies.textContent = "";
    const last = state.lastItem;
    const items = last && last.direction === "bot" && last.payload && last.payload.quickReply &&
      Array.isArray(last.payload.quickReply.items) ? last.payload.quickReply.items : [];
    items.forEach((item) => {
      if (!item || !item.action) return;
      const chip = actionButton(item.action, "chip");
      const icon = safeUrl(item.imageUrl);
      if (icon) {
        const img = el("img", "chip-icon");
        img.src = icon;
        img.alt = "";
        chip.prepend(img);
      }
      els.quickReplies.appendChild(chip);
    });
    els.quickReplies.hidden = items.length === 0;
  }

  // ---- rendering: bot messages ----------------------------------------------------------

  function image(url, className, alt) {
    const safe = safeUrl(url);
    if (!safe) return el("div", "missing", "[รูปภาพ]");
    const img = el("img", className || "");
    img.src = safe;
    img.alt = alt || "รูปภาพ";
    img.loading = "lazy";
    img.addEventListener("load", keepBottom);
    return img;
  }

  function botBubble(message) {
    const type = message && message.type;
    let bubble;
    switch (type) {
      case "text":
        bubble = el("div", "bubble text", message.text || "");
        break;
      case "image": {
        bubble = el("div", "bubble media");
        const link = el("a");
        const full = safeUrl(message.originalContentUrl);
        if (full) { link.href = full; link.target = "_blank"; link.rel = "noopener"; }
        link.appendChild(image(message.previewImageUrl || message.originalContentUrl, "photo"));
        bubble.appendChild(link);
        break;
      }
      case "sticker":
        bubble = el("div", "bubble sticker", "[สติกเกอร์]");
        break;
      case "location":
        bubble = locationCard(message);
        break;
      case "template":
        bubble = templateBubble(message);
        break;
      case "flex":
        bubble = el("div", "bubble flex-wrap");
        bubble.appendChild(flexNode(message.contents));
        break;
      case "video":
        bubble = el("div", "bubble text", "[วิดีโอ]");
        break;
      case "audio":
        bubble = el("div", "bubble text", "[ข้อความเสียง]");
        break;
      case "imagemap":
        bubble = el("div", "bubble text", "[ภาพแผนที่ปุ่ม] " + (message.altText || ""));
        break;
      default:
        bubble = el("div", "bubble text", "[ข้อความชนิด " + String(type || "ไม่ทราบ") + "]");
    }
    bubble.dataset.direction = "bot";
    if (type) bubble.dataset.type = type;
    return bubble;
  }

  function locationCard(message) {
    const card = el("div", "bubble card location-card");
    card.appendChild(el("div", "card-title", "📍 " + (message.title || "ตำแหน่ง")));
    if (message.address) card.appendChild(el("div", "card-text", message.address));
    const lat = Number(message.latitude);
    const lng = Number(message.longitude);
    if (Number.isFinite(lat) && Number.isFinite(lng)) {
      card.appendChild(el("div", "coords-text", lat.toFixed(5) + ", " + lng.toFixed(5)));
    }
    return card;
  }

  function templateColumn(column, withActions) {
    const part = el("div", "column");
    if (column.thumbnailImageUrl) part.appendChild(image(column.thumbnailImageUrl, "thumb"));
    const body = el("div", "card-body");
    if (column.title) body.appendChild(el("div", "card-title", column.title));
    if (column.text) body.appendChild(el("div", "card-text", column.text));
    part.appendChild(body);
    if (withActions) {
      const actions = el("div", "card-actions");
      (column.actions || []).forEach((a) => actions.appendChild(actionButton(a)));
      part.appendChild(actions);
    }
    return part;
  }

  function templateBubble(message) {
    const template = message.template || {};
    const bubble = el("div", "bubble card template " + (template.type || ""));
    if (template.type === "confirm") {
      bubble.appendChild(el("div", "card-body card-text", template.text || ""));
      const actions = el("div", "card-actions row-actions");
      (template.actions || []).forEach((a) => actions.appendChild(actionButton(a)));
      bubble.appendChild(actions);
    } else if (template.type === "buttons") {
      bubble.appendChild(templateColumn(template, true));
    } else if (template.type === "carousel" || template.type === "image_carousel") {
      bubble.classList.add("carousel");
      const strip = el("div", "strip");
      (template.columns || []).forEach((column) => {
        if (template.type === "image_carousel") {
          const part = el("div", "column image-column");
          part.appendChild(image(column.imageUrl, "thumb"));
          if (column.action) part.appendChild(actionButton(column.action));
          strip.appendChild(part);
        } else {
          strip.appendChild(templateColumn(column, true));
        }
      });
      bubble.appendChild(strip);
    } else {
      bubble.appendChild(el("div", "card-body card-text", message.altText || "[เทมเพลต]"));
    }
    return bubble;
  }

  function flexNode(node) {
    if (!node || typeof node !== "object") return el("span");
    switch (node.type) {
      case "carousel": {
        const strip = el("div", "strip flex-carousel");
        (node.contents || []).forEach((b) => strip.appendChild(flexNode(b)));
        return strip;
      }
      case "bubble": {
        const bubble = el("div", "flex-bubble");
        ["header", "hero", "body", "footer"].forEach((part) => {
          if (!node[part]) return;
          const section = el("div", "flex-" + part);
          section.appendChild(flexNode(node[part]));
          bubble.appendChild(section);
        });
        return bubble;
      }
      case "box": {
        const box = el("div", "flex-box " + (node.layout || "vertical"));
        (node.contents || []).forEach((c) => box.appendChild(flexNode(c)));
        if (node.action) clickable(box, node.action);
        return box;
      }
      case "text": {
        const text = Array.isArray(node.contents) && node.contents.length
          ? node.contents.map((s) => (s && s.text) || "").join("")
          : node.text || "";
        const span = el("div", "flex-text", text);
        if (node.weight === "bold") span.classList.add("bold");
        if (node.size) span.dataset.size = node.size;
        if (node.action) clickable(span, node.action);
        return span;
      }
      case "span":
        return el("span", "", node.text || "");
      case "image":
      case "icon": {
        const img = image(node.url, node.type === "icon" ? "flex-icon" : "flex-image");
        if (node.action) clickable(img, node.action);
        return img;
      }
      case "button":
        return actionButton(node.action || {}, "action flex-button " + (node.style || "link"));
      case "separator":
        return el("hr", "flex-separator");
      case "video":
        return node.altContent ? flexNode(node.altContent) : el("div", "missing", "[วิดีโอ]");
      default: // filler, spacer and anything new: nothing to show
        return el("span", "flex-empty");
    }
  }

  function clickable(node, action) {
    node.classList.add("clickable");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.addEventListener("click", (e) => { e.stopPropagation(); runAction(action); });
  }

  // ---- rendering: the user's own messages -----------------------------------------------

  function userBubble(event) {
    let bubble;
    const type = event && event.type;
    if (type === "follow") {
      bubble = el("div", "bubble system", "คุณเพิ่มเพื่อนแล้ว");
    } else if (type === "unfollow") {
      bubble = el("div", "bubble system", "คุณบล็อกบัญชีนี้แล้ว");
    } else if (type === "join") {
      bubble = el("div", "bubble system", "เชิญบอทเข้ากลุ่มแล้ว");
    } else if (type === "leave") {
      bubble = el("div", "bubble system", "นำบอทออกจากกลุ่มแล้ว");
    } else if (type === "postback") {
      const shown = event.displayText || (event.postback && event.postback.data) || "";
      bubble = el("div", "bubble text", shown);
      if (!event.displayText) bubble.classList.add("faint");
    } else if (type === "message") {
      const message = event.message || {};
      if (message.type === "text") {
        bubble = el("div", "bubble text", message.text || "");
      } else if (message.type === "image") {
        bubble = el("div", "bubble media");
        const img = el("img", "photo");
        img.src = "/sandbox/content/" + encodeURIComponent(String(message.id || ""));
        img.alt = "รูปที่คุณส่ง";
        img.addEventListener("load", keepBottom);
        bubble.appendChild(img);
      } else if (message.type === "location") {
        bubble = el("div", "bubble text location-sent", "📍 " + (message.title || "ตำแหน่ง"));
        if (message.address) bubble.appendChild(el("div", "sub address", message.address));
        bubble.appendChild(el("div", "sub coords-text", Number(message.latitude).toFixed(5) + ", " +
          Number(message.longitude).toFixed(5)));
      } else if (message.type === "sticker") {
        bubble = el("div", "bubble sticker-sent");
        bubble.appendChild(el("div", "sticker-face", stickerFace(message)));
        bubble.appendChild(el("div", "sub", "สติกเกอร์"));
      } else if (message.type === "video" || message.type === "audio") {
        const video = message.type === "video";
        bubble = el("div", "bubble text media-sent");
        const label = (video ? "🎬 วิดีโอ" : "🎤 ข้อความเสียง") +
          (message.duration !== undefined ? " · " + duration(message.duration) : "");
        bubble.appendChild(el("div", "", label));
        const player = el(video ? "video" : "audio", video ? "clip" : "voice");
        player.controls = true;
        player.preload = "metadata";
        player.src = "/sandbox/content/" + encodeURIComponent(String(message.id || ""));
        player.addEventListener("loadedmetadata", keepBottom);
        bubble.appendChild(player);
      } else {
        bubble = el("div", "bubble text", "[" + String(message.type || "ข้อความ") + "]");
      }
    } else {
      bubble = el("div", "bubble system", "[" + String(type || "เหตุการณ์") + "]");
    }
    bubble.dataset.direction = "user";
    if (type) bubble.dataset.type = type;
    const source = (event && event.source) || {};
    if (source.type === "group" && !bubble.classList.contains("system")) {
      // In a group, who spoke: a member's name, or "ไม่ระบุตัวตน" when LINE gives no userId.
      const member = source.userId && state.users[source.userId];
      const who = el("div", "speaker", member ? member.display_name : "ไม่ระบุตัวตน");
      who.dataset.testid = "speaker";
      bubble.insertBefore(who, bubble.firstChild);
    }
    return bubble;
  }

  function appendItem(item) {
    const bubble = item.direction === "bot" ? botBubble(item.payload || {}) : userBubble(item.payload || {});
    const row = el("div", "row " + (item.direction === "bot" ? "bot" : "user"));
    row.dataset.id = item.id;
    if (bubble.classList.contains("system")) {
      row.classList.add("system-row");
      row.appendChild(bubble);
    } else {
      if (item.direction === "bot") row.appendChild(el("span", "avatar small", "ร"));
      row.appendChild(bubble);
      row.appendChild(el("span", "time", timeOf(item.created_at)));
    }
    els.messages.appendChild(row);
  }

  function keepBottom() {
    if (state.stickToBottom) els.messages.scrollTop = els.messages.scrollHeight;
  }

  // ---- polling --------------------------------------------------------------------------

  async function pollNow() {
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    clearTimeout(state.pollTimer);
    state.polling = true;
    const generation = state.generation;
    try {
      if (state.userId) {
        const url = "/sandbox/api/messages?user_id=" + encodeURIComponent(state.userId) +
          "&after=" + state.lastId;
        const response = await fetch(url, { cache: "no-store" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const data = await readJson(response);
        els.connection.hidden = true;
        const items = data.messages || [];
        if (generation === state.generation) show(items);
        if (items.length >= PAGE_SIZE) state.pollAgain = true; // a long history comes in pages
      }
    } catch (_) {
      els.connection.hidden = false;
    } finally {
      state.polling = false;
      if (state.pollAgain || generation !== state.generation) {
        state.pollAgain = false;
        pollNow();
      } else {
        const eager = state.eagerPolls > 0;
        if (eager) state.eagerPolls -= 1;
        state.pollTimer = setTimeout(pollNow, eager ? EAGER_POLL_MS : POLL_MS);
      }
    }
  }

  function show(items) {
    const fresh = items.filter((item) => item.id > state.lastId);
    if (!fresh.length) return;
    fresh.forEach((item) => {
      appendItem(item);
      state.lastId = Math.max(state.lastId, item.id);
      state.lastItem = item;
    });
    els.emptyHint.hidden = true;
    renderQuickReplies();
    keepBottom();
  }

  // ---- the rich menu: the user's menu image under the chat, its areas tappable as in LINE ----------

  const RICH_MENU_POLL_MS = 3000; // an officer's menu is linked by the worker a moment after linking

  async function loadRichMenu() {
    clearTimeout(state.richMenuTimer);
    const generation = state.generation;
    try {
      if (state.userId) {
        const response = await fetch("/sandbox/api/rich-menu?user_id=" + encodeURIComponent(state.userId),
          { cache: "no-store" });
        if (response.ok && generation === state.generation) showRichMenu((await readJson(response)).menu);
      }
    } catch (_) {
      // offline: the poll of messages says so; the menu stays as it was
    } finally {
      state.richMenuTimer = setTimeout(loadRichMenu, RICH_MENU_POLL_MS);
    }
  }

  function showRichMenu(menu) {
    if (!menu) {
      state.richMenuId = null;
      els.richMenu.hidden = true;
      return;
    }
    if (menu.id === state.richMenuId) return;
    state.richMenuId = menu.id;
    const width = menu.size.width;
    const height = menu.size.height;
    els.richMenuFrame.querySelectorAll(".rich-menu-area").forEach((area) => area.remove());
    els.richMenuImage.src = menu.image_url;
    els.richMenuImage.alt = menu.chatBarText;
    els.richMenuFrame.style.aspectRatio = width + " / " + height;
    (menu.areas || []).forEach((area, index) => {
      const b = area.bounds;
      const button = el("button", "rich-menu-area");
      button.type = "button";
      button.dataset.testid = "rich-menu-area";
      button.setAttribute("aria-label", actionLabel(area.action) || "ปุ่ม " + (index + 1));
      button.title = actionLabel(area.action);
      button.style.left = (100 * b.x / width) + "%";
      button.style.top = (100 * b.y / height) + "%";
      button.style.width = (100 * b.width / width) + "%";
      button.style.height = (100 * b.height / height) + "%";
      button.addEventListener("click", () => runAction(area.action));
      els.richMenuFrame.appendChild(button);
    });
    els.richMenuBar.textContent = menu.chatBarText + " ▾";
    state.richMenuOpen = menu.selected !== false;
    setRichMenuOpen(state.richMenuOpen);
    els.richMenu.hidden = false;
  }

  function setRichMenuOpen(open) {
    state.richMenuOpen = open;
    els.richMenuPanel.hidden = !open;
    els.richMenuBar.setAttribute("aria-expanded", String(open));
    const text = els.richMenuBar.textContent.replace(/ [▾▴]$/, "");
    els.richMenuBar.textContent = text + (open ? " ▾" : " ▴");
  }

  // ---- wiring ---------------------------------------------------------------------------

  function autoGrow() {
    els.text.style.height = "auto";
    els.text.style.height = Math.min(els.text.scrollHeight, 140) + "px";
  }

  els.userSelect.addEventListener("change", () => switchUser(els.userSelect.value));
  els.addUserForm.addEventListener("submit", addUser);
  els.addGroup.addEventListener("click", (e) => addUser(e, true));
  els.follow.addEventListener("click", () => sendEvent({ type: "follow" }));
  els.unfollow.addEventListener("click", () => sendEvent({ type: "unfollow" }));
  els.composer.addEventListener("submit", (e) => { e.preventDefault(); sendText(); });
  els.text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendText();
    }
  });
  els.text.addEventListener("input", autoGrow);
  els.photo.addEventListener("change", () => {
    const file = els.photo.files && els.photo.files[0];
    els.photo.value = ""; // the same photo can be chosen again
    sendPhoto(file);
  });
  els.media.addEventListener("change", () => {
    const file = els.media.files && els.media.files[0];
    els.media.value = "";
    sendMedia(file);
  });
  els.stickerButton.addEventListener("click", () => toggleStickerPanel());
  els.closeStickers.addEventListener("click", () => toggleStickerPanel(false));
  els.stickerPanel.querySelectorAll(".sticker-choice").forEach((choice) =>
    choice.addEventListener("click", () => sendSticker(choice)));
  els.locationButton.addEventListener("click", () => toggleLocationPanel());
  els.closeLocation.addEventListener("click", () => toggleLocationPanel(false));
  els.landmark.addEventListener("change", chooseLandmark);
  [els.latitude, els.longitude].forEach((input) => input.addEventListener("input", () => {
    const option = els.landmark.selectedOptions[0];
    if (option && option.value !== "" && (els.latitude.value !== option.dataset.latitude ||
        els.longitude.value !== option.dataset.longitude)) {
      els.landmark.value = ""; // edited coordinates are no longer the named place
      if (els.placeTitle.value === option.textContent) els.placeTitle.value = "";
    }
  }));
  els.sendLocation.addEventListener("click", sendLocation);
  els.richMenuBar.addEventListener("click", () => setRichMenuOpen(!state.richMenuOpen));
  els.messages.addEventListener("scroll", () => {
    const m = els.messages;
    state.stickToBottom = m.scrollHeight - m.scrollTop - m.clientHeight < 60;
  });

  renderQuickReplies();
  chooseLandmark(); // the place chosen first: one in the demo officer's district, when there is one
  loadUsers();
})();
