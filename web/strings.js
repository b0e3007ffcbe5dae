// Every string the web client shows, in one place. Indonesian first: it is our users' language;
// English for everyone else. The page picks by the browser's language.

const STRINGS = {
  id: {
    lobbyTitle: "Masuk ke kamar",
    roomLabel: "Nama kamar",
    nameLabel: "Nama Anda",
    joinButton: "Masuk",
    lobbyNoDevTokens:
      "Server ini tidak membagikan tautan sendiri. Mintalah tautan undangan kepada penyelenggara.",
    lobbyFailed: "Tidak bisa masuk: ",
    connecting: "Menghubungkan…",
    reconnecting: "Koneksi terputus. Menghubungkan kembali…",
    noToken: "Tautan ini tidak berisi token undangan.",
    toLobby: "Ke halaman depan",
    mic: "Mikrofon",
    micOff: "Mikrofon mati",
    cam: "Kamera",
    camOff: "Kamera mati",
    leave: "Keluar",
    rejoin: "Masuk lagi",
    you: "Anda",
    youLeft: "Anda telah keluar dari pertemuan.",
    replaced: "Anda masuk dari perangkat atau tab lain, jadi koneksi ini ditutup.",
    ended: "Koneksi ditutup: ",
    noMedia: "Kamera/mikrofon tidak tersedia, Anda hanya menonton: ",
    tapForSound: "Ketuk untuk menyalakan suara",
    alone: "Belum ada orang lain di sini. Bagikan tautan kamar ini untuk mengundang.",
    mutedBadge: "mikrofon mati",
  },
  en: {
    lobbyTitle: "Join a room",
    roomLabel: "Room name",
    nameLabel: "Your name",
    joinButton: "Join",
    lobbyNoDevTokens:
      "This server does not hand out links itself. Ask the organiser for an invitation link.",
    lobbyFailed: "Could not join: ",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting…",
    noToken: "This link has no invitation token.",
    toLobby: "Go to the start page",
    mic: "Microphone",
    micOff: "Microphone off",
    cam: "Camera",
    camOff: "Camera off",
    leave: "Leave",
    rejoin: "Join again",
    you: "You",
    youLeft: "You left the meeting.",
    replaced: "You joined from another device or tab, so this one was closed.",
    ended: "Connection closed: ",
    noMedia: "Camera/microphone unavailable, you are watching only: ",
    tapForSound: "Tap to turn on sound",
    alone: "Nobody else is here yet. Share this room's link to invite people.",
    mutedBadge: "muted",
  },
};

const language = (navigator.language || "en").toLowerCase().startsWith("id") ? "id" : "en";
export const t = STRINGS[language];
export const pageLanguage = language;
