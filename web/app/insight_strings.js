// Member insight's strings (web/app/insight.js), Indonesian first.
import { pageLanguage } from "/static/strings.js";

const STRINGS = {
  id: {
    insight: "Wawasan",
    title: "Wawasan anggota",
    privacy: "Hanya untuk pengurus. Setiap tampilan dicatat (UU 27/2022). Kelompok di bawah 5 orang hanya ditampilkan sebagai jumlah.",
    participation: "Partisipasi per minggu",
    active: "aktif", newcomers: "baru", messages: "pesan",
    rooms: "Kamar (4 minggu terakhir)",
    regions: "Kesiapan per wilayah (0-100)",
    relations: "Jaringan antaranggota",
    trends: "Kamar yang menurun",
    slipping: "Anggota yang mulai menghilang",
    csv: "Unduh CSV",
    smallGroup: (n) => `${n} anggota (kelompok kecil: tanpa rincian)`,
    communities: (n, q) => `${n} kelompok, modularitas ${q}`,
    isolated: (n) => `${n} anggota tanpa hubungan`,
    brokers: "Penghubung antarkelompok",
    none: "Belum ada.",
    falling: (room) => `${room.name}: ${room.recent} pesan (biasanya ${room.baseline})`,
  },
  en: {
    insight: "Insight",
    title: "Member insight",
    privacy: "Organisers only. Every view is logged (UU 27/2022). Groups under 5 people are shown as counts only.",
    participation: "Participation per week",
    active: "active", newcomers: "new", messages: "messages",
    rooms: "Rooms (last 4 weeks)",
    regions: "Readiness per region (0-100)",
    relations: "Relations between members",
    trends: "Rooms falling",
    slipping: "Members slipping away",
    csv: "Download CSV",
    smallGroup: (n) => `${n} members (a small group: no breakdown)`,
    communities: (n, q) => `${n} groups, modularity ${q}`,
    isolated: (n) => `${n} members without relations`,
    brokers: "Bridges between groups",
    none: "None yet.",
    falling: (room) => `${room.name}: ${room.recent} messages (usually ${room.baseline})`,
  },
};

export const i = STRINGS[pageLanguage] || STRINGS.en;
