// Member insight's strings (web/app/insight.js), Indonesian first.
import { pageLanguage } from "/static/strings.js";

// Shares as the page's language writes decimals: 0,57 in Indonesian, 0.57 in English.
const decimals = { id: new Intl.NumberFormat("id-ID", { maximumFractionDigits: 2 }),
  en: new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 }) };
const d = (language, value) => decimals[language].format(value);
// A region's score worked out from the formula: "Kota Bandung: 53 = 100 × (0,5 × 0,57 + …)".
const worked = (language, row) =>
  `${row.region}: ${row.score} = 100 × (${d(language, 0.5)} × ${d(language, row.active)} + ` +
  `${d(language, 0.3)} × ${d(language, row.going)} + ${d(language, 0.2)} × ${d(language, row.trend)})`;

const STRINGS = {
  id: {
    insight: "Wawasan",
    title: "Wawasan anggota",
    privacy: "Hanya untuk pengurus. Setiap tampilan dicatat (UU 27/2022). Kelompok di bawah 5 orang hanya ditampilkan sebagai jumlah.",
    participation: { day: "Partisipasi per hari", week: "Partisipasi per minggu", month: "Partisipasi per 4 minggu" },
    allRooms: "Semua kamar", roomLabel: "Kamar", periodLabel: "Periode",
    periods: { day: "Per hari (28 hari)", week: "Per minggu (12 minggu)", month: "Per 4 minggu (12 kali)" },
    formula: "Kesiapan = 100 × (0,5 A + 0,3 R + 0,2 T). A: bagian anggota wilayah itu yang aktif dalam 28 hari terakhir. R: bagian yang menjawab \"hadir\" untuk acara dalam 28 hari terakhir. T: pesan mereka 28 hari terakhir dibanding rata-rata 28 hari dalam 84 hari sebelumnya (paling tinggi 1).",
    worked: (row) => worked("id", row),
    smallRegions: (n) => `${n} wilayah dengan kurang dari 5 anggota: hanya jumlahnya (lihat CSV).`,
    fallingRegion: (row) => `Wilayah ${row.region}: ${row.recent} pesan dalam 4 minggu terakhir (biasanya ${d("id", row.baseline)})`,
    active: "aktif", newcomers: "baru", messages: "pesan",
    rooms: "Kamar (4 minggu terakhir)",
    regions: "Kesiapan per wilayah (0-100)",
    relations: "Jaringan antaranggota",
    trends: "Kamar dan wilayah yang menurun",
    slipping: "Anggota yang mulai menghilang",
    csv: "Unduh CSV",
    smallGroup: (n) => `${n} anggota (kelompok kecil: tanpa rincian)`,
    communities: (n, q) => `${n} kelompok, modularitas ${q}`,
    isolated: (n) => `${n} anggota tanpa hubungan`,
    brokers: "Penghubung antarkelompok",
    none: "Belum ada.",
    falling: (room) => `${room.name}: ${room.recent} pesan dalam 4 minggu terakhir (biasanya ${d("id", room.baseline)})`,
    soFar: { day: "Titik terakhir: hari ini sejauh ini.", week: "Titik terakhir: minggu ini sejauh ini.", month: "Titik terakhir: 4 minggu ini sejauh ini." },
    attended: "hadir rapat",
    meetings: "Rapat: RSVP dan yang benar-benar hadir (4 minggu)",
    smallRoom: "kamar kecil: tanpa rincian",
    turnout: (row) => `${row.going} akan hadir · ${row.attended} hadir (${row.going_and_attended} dari yang berjanji) · ${row.meeting_minutes} menit`,
    mine: "Aktivitas saya",
    loading: "Memuat…",
    kept: (k) => `Yang disimpan Kamar tentang Anda: ${k.messages} pesan, ${k.rsvps} RSVP, ${k.meetings_attended} kehadiran rapat, ${k.questions} pertanyaan, ${k.listings} lapak, ${k.activity_days} hari aktif (ringkasan harian).`,
    activeDays: "hari aktif", minutes: "menit rapat",
    mineNote: "12 minggu terakhir. Pengurus melihat angka yang sama, dihitung dari data ini.",
    onDeletion: (k) => `Jika akun Anda dihapus, semua ini dihapus, kecuali ${k.messages} pesan dan ${k.questions} pertanyaan Anda, yang tetap ada tanpa nama Anda ("Anggota terhapus").`,
  },
  en: {
    insight: "Insight",
    title: "Member insight",
    privacy: "Organisers only. Every view is logged (UU 27/2022). Groups under 5 people are shown as counts only.",
    participation: { day: "Participation per day", week: "Participation per week", month: "Participation per 4 weeks" },
    allRooms: "All rooms", roomLabel: "Room", periodLabel: "Period",
    periods: { day: "Per day (28 days)", week: "Per week (12 weeks)", month: "Per 4 weeks (12 times)" },
    formula: "Readiness = 100 × (0.5 A + 0.3 R + 0.2 T). A: share of the region's members active in the last 28 days. R: share who answered \"going\" to an event in the last 28 days. T: their messages in the last 28 days against a 28-day average of the 84 days before (at most 1).",
    worked: (row) => worked("en", row),
    smallRegions: (n) => `${n} regions with fewer than 5 members: only their counts (see the CSV).`,
    fallingRegion: (row) => `Region ${row.region}: ${row.recent} messages in the last 4 weeks (usually ${d("en", row.baseline)})`,
    active: "active", newcomers: "new", messages: "messages",
    rooms: "Rooms (last 4 weeks)",
    regions: "Readiness per region (0-100)",
    relations: "Relations between members",
    trends: "Rooms and regions falling",
    slipping: "Members slipping away",
    csv: "Download CSV",
    smallGroup: (n) => `${n} members (a small group: no breakdown)`,
    communities: (n, q) => `${n} groups, modularity ${q}`,
    isolated: (n) => `${n} members without relations`,
    brokers: "Bridges between groups",
    none: "None yet.",
    falling: (room) => `${room.name}: ${room.recent} messages in the last 4 weeks (usually ${d("en", room.baseline)})`,
    soFar: { day: "The last point: today so far.", week: "The last point: this week so far.", month: "The last point: these 4 weeks so far." },
    attended: "in meetings",
    meetings: "Meetings: RSVPs and who actually came (4 weeks)",
    smallRoom: "a small room: no breakdown",
    turnout: (row) => `${row.going} going · ${row.attended} came (${row.going_and_attended} of those going) · ${row.meeting_minutes} minutes`,
    mine: "My activity",
    loading: "Loading…",
    kept: (k) => `What Kamar keeps about you: ${k.messages} messages, ${k.rsvps} RSVPs, ${k.meetings_attended} meetings attended, ${k.questions} questions, ${k.listings} listings, ${k.activity_days} active days (a daily summary).`,
    activeDays: "active days", minutes: "meeting minutes",
    mineNote: "The last 12 weeks. Organisers see the same figures, counted from these.",
    onDeletion: (k) => `If you delete your account, all of this is deleted, except your ${k.messages} messages and ${k.questions} questions, which stay without your name ("Deleted member").`,
  },
};

export const i = STRINGS[pageLanguage] || STRINGS.en;
