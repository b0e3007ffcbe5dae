// The members' market: browse and search (#/market), put up a listing (#/market/new), one
// listing with its photos, the seller's other listings and "chat with the seller"
// (#/market/ID). Kamar moves no money, and every page says so.
import { api } from "/static/base/api.js";
import { mediaUrl, uploadTo } from "/static/app/api.js";
import { clear, h } from "/static/base/dom.js";
import { errorBox, field, focusHeading, submitting } from "/static/app/dom.js";
import { m } from "/static/app/market_strings.js";
import { photoReady } from "/static/app/photos.js";
import { PHOTO_ACCEPT } from "/static/app/upload_rules.js";
import { regionPicker } from "/static/app/region_picker.js";

// The member's own region from their profile: its code and a short label ("Kota Bandung,
// Jawa Barat"), or null when they set none.
function myRegion(app) {
  const region = (app.me && app.me.region) || {};
  if (!region.code) return null;
  return { code: region.code, label: [region.city, region.province].filter(Boolean).join(", ") || region.code };
}

// A region picker named "region", so a server error about the region marks it (showFormError).
function regionField(picker, hint = null) {
  return h("fieldset", { class: "region", name: "region", tabindex: "-1" },
    h("legend", {}, m.regionLabel), picker.el, hint ? h("small", { class: "hint" }, hint) : null);
}

function options(labels, selected = null) {
  return Object.entries(labels).map(([value, label]) =>
    h("option", { value, selected: value === selected }, label));
}

function noPayments() {
  return h("p", { class: "muted small market-note", id: "market-no-payments" }, m.noPayments);
}

function thumb(photo, alt) {
  const img = h("img", { alt, class: "market-thumb", width: 96, height: 96 });
  mediaUrl(photo.thumbnail_url).then((url) => { img.src = url; }, () => {});
  return img;
}

function card(listing) {
  return h("li", {},
    h("a", { href: `#/market/${listing.id}`, class: "market-card", dataset: { listingId: String(listing.id) } },
      listing.photos.length ? thumb(listing.photos[0], "") : h("span", { class: "market-thumb empty" }),
      h("span", { class: "market-main" },
        h("span", { class: "market-title" }, listing.title),
        h("span", { class: "market-price" }, m.price(listing)),
        h("span", { class: "muted small" },
          `${m.categories[listing.category] || ""} · ${listing.region_label}`,
          listing.status !== "available" ? ` · ${m.statuses[listing.status]}` : ""))));
}

function cards(listings) {
  if (!listings.length) return h("p", { class: "muted" }, m.noListings);
  return h("ul", { class: "market-list" }, listings.map(card));
}

export function renderMarket(app, container) {
  clear(container);
  const results = h("div", { id: "market-results", "aria-live": "polite" });
  const q = h("input", { name: "q", id: "market-q", type: "search", maxlength: 200, placeholder: m.searchPlaceholder });
  const category = h("select", { name: "category", id: "market-category" },
    h("option", { value: "" }, m.allCategories), options(m.categories));
  const region = regionPicker("market-region");
  const mine = myRegion(app);
  const box = errorBox();
  // Words and "Cari" on one line, the filters folded: on a 360x640 phone the listings start
  // on the first screen, not under a form.
  const filters = h("details", { class: "more market-filters", id: "market-filters" },
    h("summary", {}, m.filters), field(m.categoryLabel, category), regionField(region, m.regionFilterHint));
  const form = h("form", { class: "market-search", id: "market-search" },
    h("div", { class: "row market-words" }, h("label", { class: "field" }, h("span", { class: "visually-hidden" }, m.searchLabel), q),
      h("button", { type: "submit", id: "market-search-go" }, m.search)),
    filters, box);
  const search = () => submitting(form, box, async () => {
    const params = new URLSearchParams();
    for (const input of [q, category]) if (input.value.trim()) params.set(input.name, input.value.trim());
    if (region.value()) params.set("region", region.value());
    filters.querySelector("summary").textContent = m.filtersOn(
      category.value ? m.categories[category.value] : null, region.value() ? region.label() : null);
    if (mine) params.set("near", mine.code); // the closest first: same village, district, city…
    const { listings } = await api("GET", `/api/market/listings?${params}`);
    clear(results).append(cards(listings));
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  container.append(h("section", { class: "pad market" },
    h("div", { class: "row" }, h("h1", {}, m.marketTitle),
      h("a", { class: "button small", href: "#/market/new", id: "market-sell" }, m.sell)),
    noPayments(), form,
    h("p", { class: "muted small", id: "market-near" }, mine ? m.nearMine(mine.label) : m.nearNone),
    results));
  focusHeading(container);
  search();
}

// Where a listing is shown: one or several of the rooms one can post in (ticked), or the whole
// organisation (which greys the rooms out). value() is the body's {scope, rooms}.
function whereField(rooms) {
  const boxes = rooms.map((room, n) => h("input", {
    type: "checkbox", name: "listing-room", id: `listing-room-${room.id}`, value: String(room.id), checked: n === 0,
  }));
  const everyone = h("input", { type: "checkbox", id: "listing-organisation", checked: !rooms.length });
  const sync = () => { for (const box of boxes) box.disabled = everyone.checked; };
  everyone.addEventListener("change", sync);
  sync();
  const el = h("fieldset", { class: "region", name: "rooms", tabindex: "-1", id: "listing-where-field" },
    h("legend", {}, m.whereLabel),
    rooms.map((room, n) => h("label", { class: "check" }, boxes[n], " ", room.name)),
    h("label", { class: "check" }, everyone, " ", m.wholeOrganisation));
  const value = () => (everyone.checked ? { scope: "organisation", rooms: [] }
    : { scope: "rooms", rooms: boxes.filter((box) => box.checked).map((box) => Number(box.value)) });
  return { el, value };
}

export async function renderNewListing(app, container) {
  clear(container);
  if (!app.roomsLoaded) await app.loadRooms().catch(() => {}); // the rooms to show it in
  const rooms = app.sortedRooms().filter((room) => room.my_role);
  const where = whereField(rooms);
  const pricing = h("select", { name: "pricing", id: "listing-pricing" }, options(m.pricings, "fixed"));
  const price = h("input", { name: "price", id: "listing-price", type: "number", min: 1, step: 1, inputmode: "numeric" });
  pricing.addEventListener("change", () => { price.disabled = pricing.value === "free"; });
  const region = regionPicker("listing-region");
  const mine = myRegion(app);
  if (mine) region.set(mine.code, mine.label); // most sell where they live; they may change it
  const photos = h("input", { name: "photos", id: "listing-photos", type: "file", accept: PHOTO_ACCEPT, multiple: true });
  const progress = h("p", { class: "muted small", hidden: true }, m.uploading);
  const box = errorBox();
  const input = (name) => form.elements.namedItem(name).value;
  const form = h("form", { class: "market-form", id: "listing-form" },
    field(m.titleLabel, h("input", { name: "title", id: "listing-title", maxlength: 120, required: true })),
    field(m.descriptionLabel, h("textarea", { name: "description", id: "listing-description", maxlength: 4000, rows: 3 })),
    field(m.pricingLabel, pricing), field(m.priceLabel, price),
    field(m.categoryLabel, h("select", { name: "category", id: "listing-category" }, options(m.categories, "food"))),
    field(m.conditionLabel, h("select", { name: "condition", id: "listing-condition" }, options(m.conditions, "none"))),
    regionField(region),
    where.el, field(m.photosLabel, photos), progress, noPayments(), box,
    h("button", { type: "submit", id: "listing-publish" }, m.publish));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, box, async () => {
      // Every photo checked and made smaller on the phone (as in the chat) before any is sent.
      const ready = [];
      for (const file of [...photos.files].slice(0, 8)) ready.push(await photoReady(file));
      progress.hidden = !ready.length;
      const photoIds = [];
      for (const file of ready) {
        photoIds.push((await uploadTo("/api/market/photos", file).promise).id);
      }
      progress.hidden = true;
      const body = {
        title: input("title"), description: input("description"), pricing: pricing.value,
        price: pricing.value === "free" || !price.value ? null : Number(price.value),
        category: input("category"), condition: input("condition"), region: region.value(),
        ...where.value(), photos: photoIds,
      };
      const listing = await api("POST", "/api/market/listings", body);
      app.navigate(`#/market/${listing.id}`);
    });
  });
  container.append(h("section", { class: "pad market" },
    h("a", { href: "#/market" }, m.back), h("h1", {}, m.newListing), form));
  focusHeading(container);
}

export async function renderListing(app, container, listingId) {
  clear(container);
  const section = h("section", { class: "pad market", id: "listing-view" });
  container.append(section);
  let listing;
  try {
    listing = await api("GET", `/api/market/listings/${listingId}`);
  } catch (error) {
    section.append(h("p", { class: "error", role: "alert" }, error.message));
    return;
  }
  const box = errorBox();
  const badges = [listing.hidden ? m.hiddenBadge : null, listing.expired ? m.expiredBadge : null,
    m.statuses[listing.status]].filter(Boolean).join(" · ");
  section.append(h("a", { href: "#/market" }, m.back),
    h("h1", { id: "listing-title-view" }, listing.title),
    h("p", { class: "market-price", id: "listing-price-view" }, m.price(listing)),
    h("p", { class: "muted small", id: "listing-status" }, badges),
    h("div", { class: "market-photos" }, listing.photos.map((photo) => thumb(photo, listing.title))),
    h("p", { class: "market-description" }, listing.description),
    h("p", { class: "muted small", id: "listing-where" }, `${m.categories[listing.category]} · ${m.conditions[listing.condition]} · ${listing.region_label}`),
    h("p", { class: "muted small", id: "listing-shown-in" },
      listing.scope === "organisation" ? m.shownEverywhere : m.shownIn(listing.rooms.map((room) => room.name))),
    h("p", {}, m.seller(listing.seller.display_name)), noPayments(), box);
  const actions = h("div", { class: "row market-actions" });
  if (!listing.mine) {
    actions.append(h("button", { type: "button", id: "listing-chat", onclick: (event) => chatWithSeller(app, listing, event.target, box) }, m.chatSeller));
    actions.append(h("button", { type: "button", class: "link", id: "listing-report", onclick: () => report(listing, section, box) }, m.report));
  } else {
    const status = h("select", { id: "listing-status-select" }, options(m.statuses, listing.status));
    status.addEventListener("change", async () => {
      try {
        await api("PATCH", `/api/market/listings/${listing.id}`, { status: status.value });
        renderListing(app, container, listingId);
      } catch (error) {
        box.textContent = error.message;
        box.hidden = false;
      }
    });
    actions.append(field(m.statusLabel, status));
  }
  section.append(actions);
  const others = await api("GET", `/api/market/listings?seller_id=${listing.seller.id}`).catch(() => ({ listings: [] }));
  const more = others.listings.filter((other) => other.id !== listing.id);
  if (more.length) section.append(h("h2", {}, m.sellerOther), cards(more));
}

async function chatWithSeller(app, listing, button, box) {
  button.disabled = true;
  try {
    const room = await api("POST", `/api/market/listings/${listing.id}/chat`);
    app.putRoom(room);
    app.navigate(`#/rooms/${room.id}/chat`);
  } catch (error) {
    box.textContent = error.message;
    box.hidden = false;
    button.disabled = false;
  }
}

function report(listing, section, box) {
  if (section.querySelector("#report-form")) return;
  const reason = h("input", { name: "reason", id: "report-reason", maxlength: 500, required: true });
  const form = h("form", { id: "report-form" }, field(m.reportReason, reason),
    h("button", { type: "submit" }, m.report));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, box, async () => {
      await api("POST", `/api/market/listings/${listing.id}/report`, { reason: reason.value });
      form.replaceWith(h("p", { role: "status" }, m.reported));
    });
  });
  section.append(form);
}


