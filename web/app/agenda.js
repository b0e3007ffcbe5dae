// A room's agenda: upcoming events with RSVP (going / maybe / no), the room's calendar feed,
// and for moderators a form to add an event.
import { api } from "/static/base/api.js";
import { clear, h } from "/static/base/dom.js";
import { copyText, errorBox, eventWhen, field, richText, submitting } from "/static/app/dom.js";
import { t } from "/static/strings.js";
import { recordingsSection } from "/static/app/recordings.js";
import { referralCode } from "/static/app/pinned.js";

const EVENT_KINDS = ["meeting", "town_hall", "offline"];
const RESPONSES = ["going", "maybe", "no"];
const INDONESIAN_ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"];

export class AgendaView {
  constructor(app, roomView, pane) {
    this.app = app;
    this.roomView = roomView;
    this.roomId = roomView.roomId;
    this.events = new Map(); // id -> Event
    this.destroyed = false;
    this.list = h("ul", { class: "events", id: "event-list" });
    this.status = h("p", { class: "muted", role: "status" }, t.loading);
    this.addButton = h("button", { type: "button", id: "btn-new-event", hidden: true, "aria-expanded": "false" }, t.newEvent);
    this.formBox = h("div", { class: "event-form-box", hidden: true });
    this.addButton.addEventListener("click", () => this.toggleForm());
    pane.append(h("div", { class: "pad" },
      h("div", { class: "page-head" }, h("h2", {}, t.tabAgenda), this.addButton),
      this.formBox, this.status, this.list, this.calendarLinks()));
    this.roleChanged();
    this.load();
  }

  roleChanged() {
    this.addButton.hidden = !this.roomView.isModerator();
  }

  calendarLinks() {
    const calendar = this.app.me && this.app.me.calendar_url;
    let token = null;
    try {
      token = calendar ? new URL(calendar, location.href).searchParams.get("token") : null;
    } catch {
      /* not a URL: no token to reuse */
    }
    const path = `/api/rooms/${this.roomId}/calendar.ics` + (token ? `?token=${encodeURIComponent(token)}` : "");
    const url = new URL(path, location.href).href;
    const note = h("span", { class: "muted small", role: "status" });
    return h("div", { class: "calendar-links" },
      h("h3", {}, t.calendarTitle),
      h("p", { class: "muted small" }, t.calendarExplain),
      h("p", {}, h("a", { href: url, id: "room-calendar", download: "kamar.ics" }, t.calendarLink), " ",
        h("button", {
          type: "button", class: "small",
          onclick: async () => { note.textContent = (await copyText(url)) ? t.copied : t.copyByHand; },
        }, t.copyLink), " ", note));
  }

  async load() {
    try {
      const { events } = await api("GET", `/api/rooms/${this.roomId}/events`);
      if (this.destroyed) return;
      this.events = new Map(events.map((event) => [event.id, event]));
      this.status.hidden = true;
      this.render();
    } catch (error) {
      if (this.destroyed || error.status === 401) return;
      this.status.hidden = false;
      this.status.className = "error";
      this.status.setAttribute("role", "alert");
      this.status.textContent = error.message;
    }
  }

  onFeed(message) {
    if (!message.event) return;
    const old = this.events.get(message.event.id);
    // A broadcast event carries its author's point of view at most: keep our own answer.
    const mine = old ? old.my_rsvp : message.event.my_rsvp ?? null;
    this.events.set(message.event.id, { ...old, ...message.event, my_rsvp: mine });
    this.render();
    if (message.type === "event_reminder") {
      const li = this.list.querySelector(`[data-event-id="${message.event.id}"]`);
      if (li) li.classList.add("soon");
    }
  }

  render() {
    const focusedId = document.activeElement && this.list.contains(document.activeElement)
      ? document.activeElement.id : null;
    const events = [...this.events.values()].sort((a, b) =>
      new Date(a.starts_at) - new Date(b.starts_at) || a.id - b.id);
    clear(this.list);
    if (!events.length) {
      this.list.append(h("li", { class: "muted" }, t.noEvents));
      return;
    }
    for (const event of events) this.list.append(this.eventItem(event));
    if (focusedId) document.getElementById(focusedId)?.focus();
  }

  eventItem(event) {
    const rsvp = event.rsvp || { going: 0, maybe: 0, no: 0 };
    const past = new Date(event.ends_at) < new Date();
    const item = h("li", { class: "event" + (past ? " past" : ""), dataset: { eventId: String(event.id) } },
      h("h3", {}, event.title, " ", h("span", { class: "kind" }, t.eventKinds[event.kind] || event.kind)),
      h("p", { class: "when" }, eventWhen(event)),
      event.location ? h("p", { class: "where" }, t.locationShort, " ", richText(event.location)) : null,
      event.description ? h("p", { class: "description" }, richText(event.description)) : null,
      h("p", { class: "rsvp-count", dataset: { going: String(rsvp.going), maybe: String(rsvp.maybe), no: String(rsvp.no) } },
        t.rsvpCounts(rsvp.going, rsvp.maybe, rsvp.no)));
    if (!past) {
      const group = h("div", { class: "rsvp", role: "group", "aria-label": t.rsvpQuestion });
      for (const response of RESPONSES) {
        group.append(h("button", {
          type: "button", class: "small", id: `rsvp-${event.id}-${response}`,
          "aria-pressed": String(event.my_rsvp === response), dataset: { response },
          onclick: (e) => this.answer(event, response, e.currentTarget),
        }, t.rsvp[response]));
      }
      item.append(group);
    }
    if (event.public) item.append(h("p", {}, shareLink(event)));
    if (this.roomView.isModerator() && !past) {
      item.append(h("button", {
        type: "button", class: "small secondary", id: `event-public-${event.id}`, "aria-pressed": String(Boolean(event.public)),
        onclick: (e) => this.setPublic(event, !event.public, e.currentTarget),
      }, event.public ? t.eventHidePublic : t.eventShowPublic));
    }
    if (event.kind === "town_hall") {
      item.append(recordingsSection(event, (message, options) => this.app.notify(message, options)));
    }
    if (event.meeting_url && !past) {
      const townHall = event.kind === "town_hall";
      item.append(h("button", {
        type: "button", class: "meeting small",
        onclick: (e) => this.app.openMeeting(this.roomId, e.currentTarget, townHall ? event.id : null),
      }, townHall ? t.joinTownHall : t.joinMeeting));
    }
    return item;
  }

  async answer(event, response, button) {
    button.disabled = true;
    try {
      const updated = await api("POST", `/api/events/${event.id}/rsvp`, { response });
      this.events.set(updated.id, { ...updated, my_rsvp: updated.my_rsvp ?? response });
      this.render();
    } catch (error) {
      button.disabled = false;
      this.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
    }
  }

  // Whoever may schedule here may show an event at /e/<id> or stop (PATCH /api/events/<id>).
  async setPublic(event, shown, button) {
    button.disabled = true;
    try {
      const updated = await api("PATCH", `/api/events/${event.id}`, { public: shown });
      this.events.set(updated.id, { ...updated, my_rsvp: updated.my_rsvp ?? event.my_rsvp });
      this.render();
    } catch (error) {
      button.disabled = false;
      this.app.notify(error.message, { kind: "error", timeoutMs: 8000 });
    }
  }

  toggleForm() {
    const open = this.formBox.hidden;
    this.formBox.hidden = !open;
    this.addButton.setAttribute("aria-expanded", String(open));
    if (open) {
      clear(this.formBox).append(this.eventForm());
      this.formBox.querySelector("input").focus();
    }
  }

  eventForm() {
    const box = errorBox();
    const zones = [...INDONESIAN_ZONES];
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (local && !zones.includes(local)) zones.push(local);
    const zone = INDONESIAN_ZONES.includes(local) ? local : "Asia/Jakarta";
    // Suggest the next full hour, as a clock in the event's zone shows it, for two hours.
    const start = wallClock(new Date(Date.now() + 60 * 60 * 1000), zone);
    const date = start.date;
    const hour = (h24) => `${String(h24 % 24).padStart(2, "0")}:00`;
    const form = h("form", { class: "event-form", id: "event-form", novalidate: true },
      field(t.eventTitleLabel, h("input", { name: "title", id: "event-title", required: true, maxlength: 200 })),
      field(t.eventKindLabel, h("select", { name: "kind", id: "event-kind" },
        EVENT_KINDS.map((k) => h("option", { value: k }, t.eventKinds[k])))),
      h("div", { class: "row wrap" },
        field(t.eventDateLabel, h("input", { type: "date", name: "date", id: "event-date", required: true, value: date })),
        field(t.eventStartLabel, h("input", { type: "time", name: "starts_at", id: "event-start", required: true, value: hour(start.hour) })),
        field(t.eventEndLabel, h("input", { type: "time", name: "ends_at", id: "event-end", required: true, value: hour(start.hour + 2) }))),
      field(t.eventZoneLabel, h("select", { name: "timezone", id: "event-zone" },
        zones.map((z) => h("option", { value: z, selected: z === zone }, t.zoneNames[z] || z)))),
      field(t.eventLocationLabel, h("input", { name: "location", id: "event-location", maxlength: 300 }), t.eventLocationHint),
      field(t.eventDescriptionLabel, h("textarea", { name: "description", id: "event-description", rows: 3, maxlength: 4000 })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "public", id: "event-public" }), " ", t.eventPublicLabel),
      box,
      h("div", { class: "form-actions" },
        h("button", { type: "button", class: "secondary", onclick: () => this.toggleForm() }, t.cancel),
        h("button", { type: "submit", class: "primary", id: "event-submit" }, t.createEventButton)));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = (name) => form.elements[name].value.trim();
      const startTime = value("starts_at");
      const endTime = value("ends_at");
      // An end before the start means the event runs past midnight.
      const endDate = endTime && startTime && endTime <= startTime ? nextDay(value("date")) : value("date");
      const body = {
        title: value("title"),
        kind: value("kind"),
        starts_at: `${value("date")}T${startTime}`,
        ends_at: `${endDate}T${endTime}`,
        timezone: value("timezone"),
        public: form.elements.public.checked,
      };
      if (value("location")) body.location = value("location");
      if (value("description")) body.description = value("description");
      submitting(form, box, async () => {
        const event = await api("POST", `/api/rooms/${this.roomId}/events`, body);
        this.events.set(event.id, event);
        this.toggleForm();
        this.render();
        this.list.querySelector(`[data-event-id="${event.id}"] h3`)?.scrollIntoView({ block: "nearest" });
      });
    });
    return form;
  }

  destroy() {
    this.destroyed = true;
  }
}

// The event's public page, carrying the member's own referral code so that whoever signs up
// through the shared link is credited to them (docs/organising.md).
function shareLink(event) {
  const page = `/e/${event.id}`;
  const link = h("a", { href: page, target: "_blank", rel: "noopener", id: `event-share-${event.id}`, class: "event-share" }, t.share);
  referralCode().then((code) => {
    if (code) link.href = `${page}?ref=${encodeURIComponent(code)}`;
  });
  return link;
}

function nextDay(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return next.toISOString().slice(0, 10);
}

// The date and hour a clock in `zone` shows at `instant`.
function wallClock(instant, zone) {
  const parts = {};
  try {
    const format = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23",
    });
    for (const part of format.formatToParts(instant)) parts[part.type] = part.value;
  } catch {
    return { date: instant.toISOString().slice(0, 10), hour: instant.getUTCHours() };
  }
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}
