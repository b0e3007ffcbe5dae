// What a member reads when something goes wrong: a text for every error `code` the HTTP API
// (docs/api.md) and the websocket (docs/protocol.md) can send, and for every `reason` the API
// adds for one situation (rooms/errors.py). The server's `message` is English for developers
// and the log; it is never shown. tests/web/test_error_texts.py collects every code and reason
// from the server's source and fails on one missing here in either language.
//
// A text is a string or a function of `wait` ("30 detik"; null when the server named no time).
// No DOM here: the test imports this module in Node.

const ID_CODES = {
  // HTTP API
  bad_request: "Ada isian yang belum benar. Periksa lagi lalu coba kirim ulang.",
  unauthorized: "Anda perlu masuk lagi.",
  forbidden: "Anda tidak punya izin untuk ini.",
  not_found: "Yang Anda cari tidak ada, atau sudah dihapus.",
  conflict: "Ini bertabrakan dengan perubahan lain. Muat ulang lalu coba lagi.",
  method_not_allowed: "Aplikasi meminta sesuatu yang tidak didukung server. Muat ulang halaman.",
  too_large: "Terlalu besar untuk dikirim.",
  unsupported_media_type: "Jenis berkas ini tidak bisa dikirim.",
  rate_limited: (wait) => (wait
    ? `Terlalu banyak percobaan dalam waktu singkat. Coba lagi dalam ${wait}.`
    : "Terlalu cepat. Tunggu sebentar, lalu coba lagi."),
  internal: "Server mengalami gangguan. Coba lagi nanti.",
  busy: (wait) => (wait ? `Server sedang sibuk. Coba lagi dalam ${wait}.` : "Server sedang sibuk. Coba lagi sebentar lagi."),
  // Websocket (meetings and the live feed)
  bad_json: "Aplikasi mengirim data yang rusak. Muat ulang halaman.",
  bad_message: "Aplikasi mengirim data yang tidak lengkap. Muat ulang halaman.",
  unknown_type: "Aplikasi ini lebih baru atau lebih lama dari server. Muat ulang halaman.",
  binary_unsupported: "Aplikasi mengirim data yang tidak didukung. Muat ulang halaman.",
  version_unsupported: "Versi aplikasi ini tidak cocok dengan server. Muat ulang halaman.",
  token_expired: "Tautan pertemuan ini sudah kedaluwarsa. Minta tautan baru.",
  wrong_room: "Tautan ini untuk pertemuan lain.",
  hello_timeout: "Koneksi terlalu lambat untuk masuk. Coba lagi.",
  server_full: "Server sedang penuh. Coba lagi sebentar lagi.",
  bad_sdp: "Kamera atau mikrofon tidak bisa disambungkan. Coba lagi.",
  bad_state: "Belum bisa dilakukan sekarang. Tunggu sebentar lalu coba lagi.",
  unavailable: "Layanan ini sedang tidak tersedia di server. Coba lagi nanti.",
  flooding: "Terlalu banyak pesan dalam waktu singkat, jadi koneksi ditutup. Muat ulang halaman.",
  not_a_member: "Anda bukan lagi anggota kamar ini, jadi tidak bisa masuk ke pertemuannya.",
  banned: "Moderator memblokir Anda dari pertemuan ini.",
  meeting_locked: "Pertemuan ini dikunci: sekarang hanya moderator yang bisa masuk. Coba lagi nanti.",
  denied: "Moderator tidak mengizinkan Anda masuk ke pertemuan ini.",
  media_failed: "Sambungan suara dan video terputus. Menyambung kembali…",
  wrong_node: "Pertemuan ini sedang berjalan di server lain. Menyambung kembali…",
  // The client's own: no answer from the server at all.
  network: "Tidak ada koneksi ke server. Periksa jaringan Anda lalu coba lagi.",
};

const EN_CODES = {
  bad_request: "Something in the form is not right. Check it and send again.",
  unauthorized: "Please sign in again.",
  forbidden: "You are not allowed to do this.",
  not_found: "What you are looking for does not exist, or was deleted.",
  conflict: "This clashes with another change. Reload and try again.",
  method_not_allowed: "The app asked for something the server does not support. Reload the page.",
  too_large: "Too large to send.",
  unsupported_media_type: "This kind of file cannot be sent.",
  rate_limited: (wait) => (wait
    ? `Too many attempts in a short time. Try again in ${wait}.`
    : "Too fast. Wait a moment, then try again."),
  internal: "The server ran into a problem. Try again later.",
  busy: (wait) => (wait ? `The server is busy. Try again in ${wait}.` : "The server is busy. Try again in a moment."),
  bad_json: "The app sent broken data. Reload the page.",
  bad_message: "The app sent incomplete data. Reload the page.",
  unknown_type: "This app is newer or older than the server. Reload the page.",
  binary_unsupported: "The app sent data the server does not take. Reload the page.",
  version_unsupported: "This version of the app does not match the server. Reload the page.",
  token_expired: "This meeting link has expired. Ask for a new one.",
  wrong_room: "This link is for another meeting.",
  hello_timeout: "The connection was too slow to join. Try again.",
  server_full: "The server is full. Try again in a little while.",
  bad_sdp: "The camera or microphone could not be connected. Try again.",
  bad_state: "That cannot be done right now. Wait a moment and try again.",
  unavailable: "This service is not available on the server right now. Try again later.",
  flooding: "Too many messages in a short time, so the connection was closed. Reload the page.",
  not_a_member: "You are no longer a member of this room, so you cannot join its meeting.",
  banned: "A moderator banned you from this meeting.",
  meeting_locked: "This meeting is locked: only moderators can come in now. Try again later.",
  denied: "A moderator did not let you into this meeting.",
  media_failed: "The sound and video connection dropped. Reconnecting…",
  wrong_node: "This meeting runs on another server. Reconnecting…",
  network: "Cannot reach the server. Check your connection and try again.",
};

const ID_REASONS = {
  // Accounts
  username_format: "Nama pengguna harus 3–32 huruf kecil, angka, _ atau titik.",
  phone_format: "Nomor HP harus diawali +62 (atau 08) dan berisi 8–15 angka.",
  login_missing: "Isi nama pengguna atau nomor HP.",
  password_length: "Kata sandi harus 8–256 karakter.",
  display_name_length: "Nama tampilan harus 1–80 karakter.",
  organisation_length: "Nama organisasi paling banyak 120 karakter.",
  region_format: "Isian wilayah terlalu panjang.",
  already_registered: "Nama pengguna atau nomor HP ini sudah terdaftar. Pilih yang lain, atau masuk.",
  wrong_login: "Nama pengguna/nomor HP atau kata sandi salah.",
  wrong_current_password: "Kata sandi sekarang salah.",
  password_check_busy: (wait) => `Server sedang sibuk memeriksa kata sandi. Coba lagi dalam ${wait || "beberapa detik"}.`,
  too_many_accounts: (wait) => `Terlalu banyak akun baru dari jaringan ini. Coba lagi dalam ${wait || "beberapa menit"}.`,
  too_many_wrong_passwords: (wait) => `Terlalu banyak percobaan dengan kata sandi salah. Coba lagi dalam ${wait || "beberapa menit"}.`,
  sign_in_first: "Silakan masuk dulu.",
  session_expired: "Sesi Anda berakhir. Silakan masuk lagi.",
  signed_out: "Akun ini sudah dikeluarkan dari semua perangkat. Silakan masuk lagi.",
  account_gone: "Akun ini sudah tidak ada.",
  calendar_link_replaced: "Tautan kalender ini sudah diganti dengan yang baru.",
  // Rooms and invitations
  room_name_length: "Nama kamar harus 1–80 karakter.",
  description_length: "Keterangan terlalu panjang.",
  room_not_found: "Kamar ini tidak ada, atau Anda belum menjadi anggotanya. Mintalah tautan undangan kepada pengurus kamar.",
  join_room_first: "Gabung ke kamar ini dulu.",
  role_forbidden: "Peran Anda di kamar ini tidak mengizinkan hal ini.",
  not_a_member_account: "Orang itu bukan anggota kamar ini.",
  last_owner: "Pemilik terakhir tidak bisa keluar. Jadikan orang lain pemilik dulu.",
  invite_not_found: "Undangan ini tidak ada. Periksa kodenya, atau minta undangan baru.",
  invite_expired: "Undangan ini sudah kedaluwarsa. Minta undangan baru.",
  invite_used_up: "Undangan ini sudah habis dipakai. Minta undangan baru.",
  // Chat and attachments
  text_length: "Pesan terlalu panjang (paling banyak 4000 karakter).",
  message_empty: "Pesan masih kosong.",
  too_many_attachments: "Paling banyak 10 lampiran per pesan.",
  chat_too_fast: (wait) => `Terlalu banyak pesan sekaligus. Tunggu ${wait || "sebentar"}, lalu kirim lagi.`,
  not_author: "Hanya penulisnya (atau moderator, untuk menghapus) yang bisa melakukan ini.",
  message_deleted: "Pesan yang sudah dihapus tidak bisa diubah.",
  message_not_found: "Pesan itu tidak ada lagi.",
  file_type: "Hanya foto (JPEG, PNG, GIF, WebP) dan video (MP4, WebM, 3GP, MOV) yang bisa dikirim.",
  file_empty: "Berkas ini kosong.",
  photo_too_large: "Foto terlalu besar (paling besar 10 MB).",
  video_too_large: "Video terlalu besar (paling besar 50 MB).",
  image_too_large: "Foto ini terlalu besar ukurannya (lebih dari 40 megapiksel).",
  photo_unreadable: "Foto ini tidak bisa dibaca. Coba foto lain.",
  video_unreadable: "Video ini tidak bisa dibaca. Coba video lain.",
  attachment_not_found: "Lampiran ini tidak ada lagi.",
  // Agenda
  title_length: "Judul acara harus 1–200 karakter.",
  location_length: "Tempat terlalu panjang.",
  time_format: "Tanggal atau jam tidak bisa dibaca.",
  time_range: "Tanggal ini di luar jangkauan.",
  timezone_unknown: "Zona waktu tidak dikenal.",
  ends_before_start: "Jam selesai harus setelah jam mulai.",
  event_too_long: "Sebuah acara paling lama 7 hari.",
  event_not_found: "Acara ini tidak ada lagi.",
  recording_not_found: "Rekaman ini tidak ada lagi.",
  recording_link_expired: "Tautan rekaman ini sudah kedaluwarsa. Buka acaranya lagi.",
  offline_event: "Acara tatap muka tidak punya rapat video.",
  town_hall_not_open: (wait) => (wait
    ? `Pertemuan akbar ini belum dibuka: buka dalam ${wait}.`
    : "Pertemuan akbar ini belum dibuka. Coba lagi mendekati jam mulainya."),
  town_hall_over: "Pertemuan akbar ini sudah selesai.",
  // The lobby (/meet, only with --dev-tokens)
  meeting_name_format: "Nama kamar hanya boleh berisi huruf, angka, titik, - dan _ (paling banyak 64).",
};

const EN_REASONS = {
  username_format: "A username is 3–32 lower-case letters, digits, _ or dots.",
  phone_format: "A phone number starts with + and the country code (or 08) and has 8–15 digits.",
  login_missing: "Give a username or a phone number.",
  password_length: "A password has 8–256 characters.",
  display_name_length: "A display name has 1–80 characters.",
  organisation_length: "An organisation name has at most 120 characters.",
  region_format: "A region field is too long.",
  already_registered: "This username or phone number is already registered. Choose another, or sign in.",
  wrong_login: "Wrong username/phone number or password.",
  wrong_current_password: "The current password is wrong.",
  password_check_busy: (wait) => `The server is busy checking passwords. Try again in ${wait || "a few seconds"}.`,
  too_many_accounts: (wait) => `Too many new accounts from this network. Try again in ${wait || "a few minutes"}.`,
  too_many_wrong_passwords: (wait) => `Too many wrong passwords. Try again in ${wait || "a few minutes"}.`,
  sign_in_first: "Please sign in first.",
  session_expired: "Your session has ended. Please sign in again.",
  signed_out: "This account was signed out on every device. Please sign in again.",
  account_gone: "This account no longer exists.",
  calendar_link_replaced: "This calendar link was replaced by a new one.",
  room_name_length: "A room name has 1–80 characters.",
  description_length: "The description is too long.",
  room_not_found: "This room does not exist, or you are not a member yet. Ask the room's organisers for an invitation link.",
  join_room_first: "Join this room first.",
  role_forbidden: "Your role in this room does not allow this.",
  not_a_member_account: "That person is not a member of this room.",
  last_owner: "The last owner cannot leave. Make someone else owner first.",
  invite_not_found: "This invitation does not exist. Check the code, or ask for a new invitation.",
  invite_expired: "This invitation has expired. Ask for a new one.",
  invite_used_up: "This invitation has been used up. Ask for a new one.",
  text_length: "The message is too long (at most 4000 characters).",
  message_empty: "The message is empty.",
  too_many_attachments: "At most 10 attachments per message.",
  chat_too_fast: (wait) => `Too many messages at once. Wait ${wait || "a moment"}, then send again.`,
  not_author: "Only the author (or a moderator, to delete) can do this.",
  message_deleted: "A deleted message cannot be edited.",
  message_not_found: "That message no longer exists.",
  file_type: "Only photos (JPEG, PNG, GIF, WebP) and videos (MP4, WebM, 3GP, MOV) can be sent.",
  file_empty: "This file is empty.",
  photo_too_large: "The photo is too large (at most 10 MB).",
  video_too_large: "The video is too large (at most 50 MB).",
  image_too_large: "This photo has too many pixels (over 40 megapixels).",
  photo_unreadable: "This photo cannot be read. Try another one.",
  video_unreadable: "This video cannot be read. Try another one.",
  attachment_not_found: "This attachment no longer exists.",
  title_length: "An event title has 1–200 characters.",
  location_length: "The place is too long.",
  time_format: "The date or time cannot be read.",
  time_range: "This date is out of range.",
  timezone_unknown: "Unknown time zone.",
  ends_before_start: "The end must be after the start.",
  event_too_long: "An event lasts at most 7 days.",
  event_not_found: "This event no longer exists.",
  recording_not_found: "This recording no longer exists.",
  recording_link_expired: "This recording link has expired. Open the event again.",
  offline_event: "An in-person event has no video meeting.",
  town_hall_not_open: (wait) => (wait
    ? `This town hall is not open yet: it opens in ${wait}.`
    : "This town hall is not open yet. Try again closer to its start."),
  town_hall_over: "This town hall is over.",
  meeting_name_format: "A room name holds only letters, digits, dots, - and _ (at most 64).",
};

export const ERRORS = {
  id: { codes: ID_CODES, reasons: ID_REASONS },
  en: { codes: EN_CODES, reasons: EN_REASONS },
};

// The member's text for an error: its reason's, else its code's, else a general one.
export function errorText(table, code, reason = null, wait = null) {
  const text = (reason && table.reasons[reason]) || table.codes[code] || table.codes.internal;
  return typeof text === "function" ? text(wait) : text;
}
