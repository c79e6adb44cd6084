//! Bahasa Indonesia by default, English by choice: `?lang=` (remembered in a cookie), then
//! the cookie, then `Accept-Language`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

pub const COOKIE: &str = "gerbang_lang";
/// The language a service's `ui_locales` chose for one sign-in: below an explicit `?lang=`,
/// above the remembered choice; it lives as long as a pending authorization request and
/// is removed when the answer goes back to the service (or the person picks a language).
pub const UI_COOKIE: &str = "gerbang_ui_locale";

/// How long a `ui_locales` choice lasts: as long as a pending authorization request.
const UI_COOKIE_SECS: i64 = 30 * 60;

/// The `Set-Cookie` value that carries a `ui_locales` choice through a sign-in, built like
/// every other cookie of Gerbang's (`Secure` when the issuer is https).
pub fn ui_cookie(state: &crate::state::AppState, code: &str) -> String {
    let mut c = crate::web::cookie::cookie(state, UI_COOKIE, code.to_string());
    c.set_max_age(time::Duration::seconds(UI_COOKIE_SECS));
    c.to_string()
}

/// The `Set-Cookie` value that ends it.
pub fn ui_cookie_gone() -> String {
    format!("{UI_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("id") => Some(Lang::Id),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The first language Gerbang has of a space-separated `ui_locales` list (a region
    /// such as `en-GB` counts as its language).
    pub fn first_of(list: &str) -> Option<Lang> {
        list.split(' ').find_map(
            |tag| match tag.split('-').next()?.to_ascii_lowercase().as_str() {
                "id" => Some(Lang::Id),
                "en" => Some(Lang::En),
                _ => None,
            },
        )
    }

    /// From request parts without failing: the language decision never blocks a request.
    pub fn from_parts(parts: &Parts) -> Lang {
        if let Some(l) = parts.uri.query().and_then(query_lang) {
            return l;
        }
        // An authorization request's `ui_locales` (its own pages, error pages included).
        if let Some(l) = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "ui_locales")
                .and_then(|(_, v)| Lang::first_of(&v))
        }) {
            return l;
        }
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(l) = jar.get(UI_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return l;
        }
        if let Some(l) = jar.get(COOKIE).and_then(|c| Lang::parse(c.value())) {
            return l;
        }
        parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|tag| Lang::parse(tag.split(';').next()?))
            })
            .unwrap_or_default()
    }

    /// The text for `key` in this language. A missing key is a bug: debug builds (and so
    /// every test) panic naming it; a release build shows the key itself, so the page still
    /// renders and the gap is visible and searchable.
    pub fn t(self, key: &str) -> &str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, id, en)) => {
                if self == Lang::En {
                    en
                } else {
                    id
                }
            }
            None => {
                debug_assert!(false, "i18n key {key:?} is missing from TEXTS");
                key
            }
        }
    }
}

pub fn query_lang(q: &str) -> Option<Lang> {
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_parts(parts))
    }
}

/// Remembers an explicit `?lang=` choice in a cookie for a year.
pub async fn remember_lang(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let chosen = req.uri().query().and_then(query_lang);
    let mut res = next.run(req).await;
    if let Some(l) = chosen {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
        // The person's own choice outranks the service's `ui_locales` from here on.
        if let Ok(v) = axum::http::HeaderValue::from_str(&ui_cookie_gone()) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
    }
    res
}

/// (key, Bahasa Indonesia, English)
static TEXTS: &[(&str, &str, &str)] = &[
    // Issue 19: public and native clients, CORS, response modes.
    ("app.name", "Gerbang ASN", "Gerbang ASN"),
    (
        "app.tagline",
        "Satu pintu masuk layanan ASN",
        "One sign-in for civil service applications",
    ),
    ("lang.switch", "English", "Bahasa Indonesia"),
    ("lang.other", "en", "id"),
    ("login.title", "Masuk", "Sign in"),
    ("login.to", "untuk melanjutkan ke", "to continue to"),
    ("login.nip", "NIP", "NIP (civil servant number)"),
    (
        "login.nip_hint",
        "18 digit angka (boleh ditempel dengan spasi)",
        "18 digits (pasting it with spaces is fine)",
    ),
    ("login.password", "Kata sandi", "Password"),
    ("login.otp", "Kode OTP", "OTP code"),
    (
        "login.otp_hint",
        "6 digit dari aplikasi autentikator. Masuk pertama kali (belum memasang aplikasi)? Biarkan kosong.",
        "6 digits from your authenticator app. First sign-in (no app set up yet)? Leave it empty.",
    ),
    ("login.submit", "Masuk", "Sign in"),
    (
        "login.forgot",
        "Lupa kata sandi atau belum aktivasi?",
        "Forgot your password or not activated yet?",
    ),
    (
        "login.failed",
        "NIP atau kata sandi salah.",
        "Wrong NIP or password.",
    ),
    (
        "login.nip_format",
        "NIP harus terdiri dari 18 digit angka.",
        "The NIP must be 18 digits.",
    ),
    (
        "login.nip_invalid",
        "NIP tidak valid. Periksa kembali tanggal lahir dan TMT yang tertera pada NIP.",
        "This NIP is not valid. Check the birth date and appointment date it encodes.",
    ),
    (
        "login.password_required",
        "Kata sandi wajib diisi.",
        "The password is required.",
    ),
    (
        "login.too_long",
        "Isian terlalu panjang.",
        "The input is too long.",
    ),
    (
        "login.reset_done",
        "Kata sandi berhasil disimpan. Silakan masuk dengan kata sandi baru.",
        "Your password was saved. Sign in with the new password.",
    ),
    (
        "login.captcha_wrong",
        "Kode captcha salah atau kedaluwarsa. Ketik huruf pada gambar baru.",
        "The captcha was wrong or expired. Type the letters of the new image.",
    ),
    ("captcha.label", "Kode pada gambar", "Code in the image"),
    (
        "captcha.alt",
        "Gambar captcha berisi huruf dan angka",
        "Captcha image with letters and digits",
    ),
    ("captcha.new", "Gambar lain", "New image"),
    (
        "captcha.hint",
        "Huruf besar atau kecil sama saja.",
        "Upper or lower case does not matter.",
    ),
    ("disabled.title", "Akun tidak aktif", "Account disabled"),
    (
        "disabled.retired",
        "Akun ini dinonaktifkan karena menurut data kepegawaian (SIASN) Anda sudah pensiun.",
        "This account was disabled because the civil service records (SIASN) say you have retired.",
    ),
    (
        "disabled.dismissed",
        "Akun ini dinonaktifkan karena menurut data kepegawaian (SIASN) Anda sudah diberhentikan sebagai ASN.",
        "This account was disabled because the civil service records (SIASN) say you were discharged from the civil service.",
    ),
    (
        "disabled.deceased",
        "Akun ini dinonaktifkan karena menurut data kepegawaian (SIASN) pemiliknya telah meninggal dunia.",
        "This account was disabled because the civil service records (SIASN) say its owner has died.",
    ),
    (
        "disabled.leave",
        "Akun ini dinonaktifkan selama cuti di luar tanggungan negara (CLTN) menurut data kepegawaian (SIASN).",
        "This account is disabled during leave without state pay (CLTN) according to the civil service records (SIASN).",
    ),
    (
        "disabled.suspended",
        "Akun ini dinonaktifkan selama pemberhentian sementara menurut data kepegawaian (SIASN).",
        "This account is disabled during a temporary discharge according to the civil service records (SIASN).",
    ),
    (
        "disabled.missing",
        "Akun ini dinonaktifkan karena menurut data kepegawaian (SIASN) pemiliknya dinyatakan hilang.",
        "This account was disabled because the civil service records (SIASN) declare its owner missing.",
    ),
    (
        "disabled.absent",
        "Akun ini dinonaktifkan karena Anda tidak lagi tercantum dalam data kepegawaian (SIASN).",
        "This account was disabled because you are no longer listed in the civil service records (SIASN).",
    ),
    (
        "disabled.account",
        "Akun ini dinonaktifkan oleh helpdesk.",
        "This account has been disabled by the helpdesk.",
    ),
    (
        "disabled.contact",
        "Jika ini keliru, hubungi helpdesk BKPSDM instansi Anda",
        "If this is a mistake, contact your agency's BKPSDM helpdesk",
    ),
    (
        "locked.title",
        "Akun dikunci sementara",
        "Account temporarily locked",
    ),
    (
        "locked.until",
        "Terlalu banyak percobaan masuk yang gagal. Akun ini dikunci hingga",
        "Too many failed sign-in attempts. This account is locked until",
    ),
    (
        "locked.permanent",
        "Akun ini dikunci oleh helpdesk.",
        "This account has been locked by the helpdesk.",
    ),
    (
        "locked.helpdesk",
        "Helpdesk BKPSDM instansi Anda dapat membuka kunci ini lebih awal, setelah memastikan bahwa Anda pemilik akun.",
        "Your agency's BKPSDM helpdesk can lift this lock sooner, once it has made sure you own the account.",
    ),
    (
        "locked.reset_timed",
        "Mengganti kata sandi (Lupa kata sandi) tidak membuka kunci ini: dengan kata sandi baru pun kunci tetap berlaku sampai waktu di atas, lalu berakhir sendiri.",
        "Resetting your password (Forgot password) does not lift this lock: even with a new password it holds until the time above, then ends by itself.",
    ),
    (
        "locked.reset_helpdesk",
        "Kunci ini tidak berakhir sendiri, dan mengganti kata sandi tidak membukanya: hanya helpdesk yang dapat membukanya.",
        "This lock does not end by itself, and resetting your password does not lift it: only the helpdesk can.",
    ),
    (
        "locked.contact_title",
        "Hubungi helpdesk",
        "Contact the helpdesk",
    ),
    ("locked.contact_whatsapp", "WhatsApp", "WhatsApp"),
    ("locked.contact_phone", "Telepon", "Call"),
    (
        "locked.contact_url",
        "Halaman bantuan helpdesk",
        "Helpdesk help page",
    ),
    (
        "locked.contact_nip",
        "Sebutkan NIP Anda saat menghubungi helpdesk; jangan pernah memberikan kata sandi atau kode OTP kepada siapa pun.",
        "Give your NIP when you contact the helpdesk; never give your password or OTP code to anyone.",
    ),
    (
        "locked.back",
        "Kembali ke halaman masuk",
        "Back to the sign-in page",
    ),
    (
        "locked.back_service",
        "Kembali ke halaman masuk untuk",
        "Back to the sign-in page for",
    ),
    (
        "locked.forgot",
        "Lupa kata sandi? (tidak membuka kunci)",
        "Forgot your password? (does not lift the lock)",
    ),
    (
        "error.rate_limited",
        "Terlalu banyak permintaan dari alamat Anda. Tunggu sebentar lalu coba lagi.",
        "Too many requests from your address. Wait a moment and try again.",
    ),
    (
        "reset.title",
        "Aktivasi akun / lupa kata sandi",
        "Activate account / forgot password",
    ),
    (
        "reset.intro",
        "Masukkan NIP dan alamat e-mail yang terdaftar di SIASN. Kami akan mengirim kode ke e-mail tersebut.",
        "Enter your NIP and the e-mail address registered in SIASN. We will send a code to that address.",
    ),
    (
        "reset.email",
        "E-mail terdaftar di SIASN",
        "E-mail registered in SIASN",
    ),
    (
        "reset.email_hint",
        "Alamat yang tercatat pada data kepegawaian Anda.",
        "The address on your personnel record.",
    ),
    // Issue 19: front-channel logout, acr, ui_locales.
    (
        "form_post.title",
        "Kembali ke layanan",
        "Returning to the service",
    ),
    (
        "form_post.wait",
        "Anda sedang dikembalikan ke layanan. Jika halaman tidak berpindah, tekan tombol di bawah.",
        "You are being sent back to the service. If nothing happens, press the button below.",
    ),
    ("form_post.continue", "Lanjutkan", "Continue"),
    (
        "logout.frontchannel",
        "Mengeluarkan Anda dari layanan lain…",
        "Signing you out of the other services…",
    ),
    ("logout.continue", "Lanjutkan", "Continue"),
    ("reset.submit", "Kirim kode", "Send code"),
    (
        "reset.have_code",
        "Sudah punya kode?",
        "Already have a code?",
    ),
    (
        "reset.sent_title",
        "Periksa e-mail Anda",
        "Check your e-mail",
    ),
    (
        "reset.sent",
        "Jika NIP dan e-mail cocok dengan data kami, kode telah dikirim ke e-mail terdaftar. Kode berlaku 15 menit.",
        "If the NIP and e-mail match our records, a code was sent to the registered address. It is valid for 15 minutes.",
    ),
    (
        "reset.spam",
        "Belum menerima e-mail? Periksa folder spam, tunggu beberapa menit, lalu minta kode baru setelah 60 detik.",
        "No e-mail yet? Check the spam folder, wait a few minutes, then ask for a new code after 60 seconds.",
    ),
    ("reset.enter_code", "Masukkan kode", "Enter the code"),
    ("reset.new_code", "Minta kode baru", "Ask for a new code"),
    (
        "reset.confirm_title",
        "Buat kata sandi baru",
        "Choose a new password",
    ),
    ("reset.code", "Kode dari e-mail", "Code from the e-mail"),
    ("reset.code_hint", "8 digit angka", "8 digits"),
    ("reset.new_password", "Kata sandi baru", "New password"),
    (
        "reset.confirm_password",
        "Ulangi kata sandi baru",
        "Repeat the new password",
    ),
    (
        "reset.policy",
        "Minimal 12 karakter, dengan huruf besar, huruf kecil, angka, dan simbol. Tidak boleh memuat NIP atau nama Anda.",
        "At least 12 characters with upper case, lower case, a digit and a symbol. It must not contain your NIP or name.",
    ),
    ("reset.save", "Simpan kata sandi", "Save password"),
    (
        "reset.bad_code",
        "Kode salah atau sudah kedaluwarsa. Minta kode baru bila perlu.",
        "The code is wrong or has expired. Ask for a new code if needed.",
    ),
    (
        "reset.mismatch",
        "Kedua kata sandi tidak sama.",
        "The two passwords differ.",
    ),
    (
        "rule.min_length",
        "Minimal 12 karakter.",
        "At least 12 characters.",
    ),
    (
        "rule.max_length",
        "Maksimal 256 karakter.",
        "At most 256 characters.",
    ),
    (
        "rule.upper",
        "Harus memuat huruf besar.",
        "Must contain an upper-case letter.",
    ),
    (
        "rule.lower",
        "Harus memuat huruf kecil.",
        "Must contain a lower-case letter.",
    ),
    ("rule.digit", "Harus memuat angka.", "Must contain a digit."),
    (
        "rule.match",
        "Kedua isian kata sandi sama.",
        "Both password fields match.",
    ),
    (
        "rule.symbol",
        "Harus memuat simbol (mis. ! # @ -).",
        "Must contain a symbol (e.g. ! # @ -).",
    ),
    (
        "rule.nip",
        "Tidak boleh memuat NIP Anda.",
        "Must not contain your NIP.",
    ),
    (
        "rule.name",
        "Tidak boleh memuat nama Anda.",
        "Must not contain your name.",
    ),
    (
        "rule.common",
        "Terlalu umum dan mudah ditebak.",
        "Too common and easy to guess.",
    ),
    (
        "rule.breached",
        "Kata sandi ini ada dalam daftar kata sandi yang bocor dari situs lain, dan penjahat mencobanya lebih dulu. Pilih kata sandi lain.",
        "This password is in a list of passwords leaked from other sites, which attackers try first. Choose another one.",
    ),
    (
        "rule.current",
        "Tidak boleh sama dengan kata sandi saat ini.",
        "Must differ from the current password.",
    ),
    (
        "otp.title",
        "Verifikasi dua langkah",
        "Two-step verification",
    ),
    (
        "otp.hint",
        "Buka aplikasi autentikator (Google/Microsoft Authenticator) dan ketik 6 digit yang tampil. Kode pemulihan juga dapat dipakai.",
        "Open your authenticator app (Google/Microsoft Authenticator) and type the 6 digits it shows. A recovery code works too.",
    ),
    ("otp.submit", "Verifikasi", "Verify"),
    (
        "otp.server_time",
        "Waktu server saat ini:",
        "Server time now:",
    ),
    (
        "otp.invalid",
        "NIP, kata sandi, atau kode OTP salah.",
        "Wrong NIP, password or OTP code.",
    ),
    (
        "otp.replayed",
        "Kode OTP ini sudah dipakai. Tunggu kode berikutnya di aplikasi autentikator.",
        "This OTP code was already used. Wait for the next code in your authenticator app.",
    ),
    (
        "otp.skew_ahead",
        "Kode OTP tidak berlaku: waktu di ponsel Anda lebih cepat sekitar",
        "The OTP code is not valid: the time on your phone is ahead by about",
    ),
    (
        "otp.skew_behind",
        "Kode OTP tidak berlaku: waktu di ponsel Anda lebih lambat sekitar",
        "The OTP code is not valid: the time on your phone is behind by about",
    ),
    (
        "otp.skew_fix",
        "menit dari server. Aktifkan tanggal, waktu, dan zona waktu otomatis di pengaturan ponsel, lalu coba lagi dengan kode baru.",
        "minutes. Turn on automatic date, time and time zone in your phone's settings, then try again with a new code.",
    ),
    (
        "enrol.title",
        "Aktifkan verifikasi dua langkah",
        "Set up two-step verification",
    ),
    (
        "enrol.intro",
        "Verifikasi dua langkah wajib bagi setiap ASN: selain kata sandi, setiap kali masuk Anda mengetik kode 6 digit dari aplikasi autentikator di ponsel, sehingga kata sandi yang bocor saja tidak cukup untuk membuka akun Anda. Siapkan ponsel Anda.",
        "Two-step verification is mandatory for every civil servant: besides your password, each sign-in asks for a 6-digit code from an authenticator app on your phone, so a leaked password alone cannot open your account. Have your phone ready.",
    ),
    (
        "enrol.step_app",
        "Pasang Google Authenticator atau Microsoft Authenticator di ponsel Anda.",
        "Install Google Authenticator or Microsoft Authenticator on your phone.",
    ),
    (
        "enrol.step_scan",
        "Di aplikasi, pilih tambah akun lalu pindai kode QR ini.",
        "In the app, add an account and scan this QR code.",
    ),
    (
        "enrol.qr_alt",
        "Kode QR untuk aplikasi autentikator",
        "QR code for the authenticator app",
    ),
    (
        "enrol.manual",
        "Tidak bisa memindai? Ketik kunci ini:",
        "Cannot scan? Type this key:",
    ),
    (
        "enrol.step_code",
        "Beri nama perangkat ini, lalu ketik 6 digit yang sedang tampil di aplikasi.",
        "Name this device, then type the 6 digits the app shows now.",
    ),
    // Issue 18: sign-in journeys, captcha, locks.
    (
        "login.captcha_needed",
        "Ketik juga kode pada gambar.",
        "Also type the code in the image.",
    ),
    (
        "captcha.new_done",
        "Gambar baru sudah tampil.",
        "A new image is shown.",
    ),
    ("otp.code_wrong", "Kode OTP salah.", "Wrong OTP code."),
    (
        "otp.first_time",
        "Belum pernah memasang aplikasi autentikator? Berarti NIP atau kata sandi tidak cocok.",
        "Never set up an authenticator app? Then the NIP or password did not match.",
    ),
    (
        "locked.browser_title",
        "Browser ini dikunci sementara",
        "This browser is temporarily locked",
    ),
    (
        "locked.browser_until",
        "Terlalu banyak percobaan yang gagal di browser ini. Masuk dari browser ini dihentikan hingga",
        "Too many failed attempts in this browser. Sign-in from this browser is paused until",
    ),
    (
        "locked.browser_what",
        "Hanya browser ini yang dikunci, bukan akun Anda. Tunggu hingga waktu itu, atau minta helpdesk BKPSDM membukanya. Jika kode OTP selalu ditolak, aktifkan waktu otomatis di ponsel.",
        "Only this browser is locked, not your account. Wait until then, or ask the BKPSDM helpdesk to unlock it. If OTP codes keep being refused, turn on automatic time on your phone.",
    ),
    (
        "locked.account_what",
        "Tunggu hingga waktu itu lalu masuk lagi, atau minta helpdesk BKPSDM membuka kuncinya.",
        "Wait until then and sign in again, or ask the BKPSDM helpdesk to unlock it.",
    ),
    (
        "helpdesk.browser_locks",
        "Kunci per browser",
        "Browser locks",
    ),
    ("helpdesk.browser", "Browser", "Browser"),
    (
        "helpdesk.browser_locks_hint",
        "Browser yang pernah dipakai masuk oleh orang ini punya penghitung dan kunci sendiri. Buka kunci membuka semuanya.",
        "Browsers this person signed in with before have their own counters and locks. Unlock lifts them all.",
    ),
    ("enrol.device_name", "Nama perangkat", "Device name"),
    (
        "enrol.device_hint",
        "Misalnya \"HP Pribadi\" atau \"Tablet\" (1–64 karakter).",
        "For example \"Personal phone\" or \"Tablet\" (1–64 characters).",
    ),
    ("enrol.submit", "Aktifkan", "Turn on"),
    (
        "enrol.bad_code",
        "Kode OTP salah. Pastikan Anda mengetik kode yang sedang tampil untuk akun ini.",
        "Wrong OTP code. Type the code currently shown for this account.",
    ),
    (
        "enrol.bad_name",
        "Nama perangkat wajib diisi, 1–64 karakter, tanpa karakter tersembunyi (misalnya pembalik arah teks).",
        "The device name is required, 1–64 characters, with no hidden characters (such as text-direction overrides).",
    ),
    (
        "enrol.dup_name",
        "Anda sudah punya perangkat dengan nama ini. Pilih nama lain.",
        "You already have a device with this name. Choose another.",
    ),
    (
        "recovery.title",
        "Simpan kode pemulihan Anda",
        "Keep your recovery codes",
    ),
    (
        "recovery.intro",
        "Jika ponsel hilang, setiap kode ini dapat dipakai sekali sebagai pengganti kode OTP. Cetak atau simpan di tempat aman.",
        "If your phone is lost, each of these codes works once in place of an OTP code. Print them or keep them somewhere safe.",
    ),
    (
        "recovery.once",
        "Kode ini hanya ditampilkan sekali.",
        "These codes are shown only once.",
    ),
    (
        "recovery.continue",
        "Saya sudah menyimpannya, lanjutkan",
        "I have saved them, continue",
    ),
    ("account.title", "Akun saya", "My account"),
    (
        "account.devices",
        "Perangkat autentikator",
        "Authenticator devices",
    ),
    ("account.created", "ditambahkan", "added"),
    ("account.last_used", "terakhir dipakai", "last used"),
    ("account.never", "belum pernah", "never"),
    ("account.new_name", "Nama baru", "New name"),
    ("account.rename", "Ganti nama", "Rename"),
    ("account.remove", "Hapus perangkat", "Remove device"),
    (
        "account.otp_other",
        "Kode OTP dari perangkat lain",
        "OTP code from another device",
    ),
    (
        "account.otp_this",
        "Kode OTP dari perangkat ini",
        "OTP code from this device",
    ),
    ("account.add_device", "Tambah perangkat", "Add a device"),
    ("account.password", "Kata sandi", "Password"),
    (
        "account.current_password",
        "Kata sandi saat ini",
        "Current password",
    ),
    (
        "account.change_password",
        "Ganti kata sandi",
        "Change password",
    ),
    ("account.recovery", "Kode pemulihan", "Recovery codes"),
    (
        "account.recovery_left",
        "Kode yang belum dipakai:",
        "Unused codes:",
    ),
    (
        "account.recovery_new",
        "Buat kode pemulihan baru",
        "Make new recovery codes",
    ),
    ("account.sessions", "Sesi aktif", "Active sessions"),
    ("account.this_session", "sesi ini", "this session"),
    ("account.end_session", "Keluarkan", "Sign out"),
    (
        "account.end_all",
        "Keluar dari semua sesi lain",
        "Sign out all other sessions",
    ),
    ("account.activity", "Aktivitas terakhir", "Recent activity"),
    ("account.bad_otp", "Kode OTP salah.", "Wrong OTP code."),
    (
        "account.bad_password_or_otp",
        "Kata sandi saat ini atau kode OTP salah.",
        "The current password or the OTP code is wrong.",
    ),
    (
        "account.bad_password",
        "Kata sandi saat ini salah.",
        "The current password is wrong.",
    ),
    (
        "account.removed_last",
        "Perangkat terakhir dihapus. Anda akan diminta mendaftarkan perangkat baru saat masuk berikutnya.",
        "The last device was removed. You will be asked to add a new one at your next sign-in.",
    ),
    // Issue 25: each notice says what changed; `{}` is a name (web::notice fills it).
    (
        "account.removed_last_named",
        "Perangkat terakhir Anda, “{}”, dihapus. Anda akan diminta mendaftarkan perangkat baru saat masuk berikutnya.",
        "Your last device, “{}”, was removed. You will be asked to add a new one at your next sign-in.",
    ),
    (
        "account.done_password",
        "Kata sandi diganti. Semua sesi lain telah dikeluarkan.",
        "Password changed. All your other sessions were signed out.",
    ),
    (
        "account.done_added",
        "Perangkat baru ditambahkan.",
        "New device added.",
    ),
    (
        "account.done_added_named",
        "Perangkat “{}” ditambahkan.",
        "Device “{}” added.",
    ),
    (
        "account.done_renamed",
        "Nama perangkat diganti.",
        "Device renamed.",
    ),
    (
        "account.done_renamed_named",
        "Perangkat “{}” diganti namanya menjadi “{}”.",
        "Device “{}” renamed to “{}”.",
    ),
    (
        "account.done_removed",
        "Perangkat dihapus.",
        "Device removed.",
    ),
    (
        "account.done_removed_named",
        "Perangkat “{}” dihapus.",
        "Device “{}” removed.",
    ),
    (
        "account.done_session",
        "Sesi itu dikeluarkan.",
        "That session was signed out.",
    ),
    (
        "account.done_session_named",
        "Sesi {} dikeluarkan.",
        "Session {} signed out.",
    ),
    (
        "account.done_sessions",
        "Semua sesi lain dikeluarkan.",
        "All your other sessions were signed out.",
    ),
    (
        "account.consent_revoked_named",
        "Izin untuk {} dicabut.",
        "Permission for {} withdrawn.",
    ),
    // The "show password" toggle beside password fields (static/reveal.js).
    ("password.show", "Tampilkan", "Show"),
    // Adding a device asks for two codes: which one was wrong.
    (
        "enrol.bad_new_code",
        "Kode dari perangkat baru salah. Ketik kode yang sedang tampil di aplikasi autentikator perangkat baru untuk akun yang baru Anda pindai.",
        "The code from the new device is wrong. Type the code the new device's authenticator app shows now for the account you just scanned.",
    ),
    (
        "enrol.bad_current_code",
        "Kode dari perangkat yang sudah terdaftar salah. Ketik kode yang sedang tampil di perangkat lama Anda, atau sebuah kode pemulihan.",
        "The code from a device you already have is wrong. Type the code it shows now, or a recovery code.",
    ),
    // Issue 18: activation, language switch, new password.
    (
        "reset.rules_failed",
        "Kata sandi baru belum memenuhi aturan berikut:",
        "The new password does not meet these rules yet:",
    ),
    ("helpdesk.title", "Helpdesk BKPSDM", "BKPSDM helpdesk"),
    (
        "helpdesk.find",
        "Cari pegawai berdasarkan NIP",
        "Find a civil servant by NIP",
    ),
    ("helpdesk.search", "Cari", "Search"),
    (
        "helpdesk.find_name",
        "Atau cari nama di instansi Anda (min. 3 huruf)",
        "Or search a name in your agency (3+ letters)",
    ),
    ("helpdesk.next", "Halaman berikutnya", "Next page"),
    (
        "helpdesk.not_found",
        "Pegawai dengan NIP tersebut tidak ditemukan di instansi Anda.",
        "No civil servant with that NIP in your agency.",
    ),
    (
        "helpdesk.forbidden",
        "Anda tidak memiliki peran helpdesk.",
        "You do not hold a helpdesk role.",
    ),
    (
        "helpdesk.step_up",
        "Demi keamanan, masukkan kode OTP Anda lagi untuk membuka konsol helpdesk.",
        "For security, enter your OTP code again to open the helpdesk console.",
    ),
    ("helpdesk.name", "Nama", "Name"),
    ("helpdesk.agency", "Instansi", "Agency"),
    ("helpdesk.status", "Status", "Status"),
    ("helpdesk.status.active", "Aktif", "Active"),
    (
        "helpdesk.status.disabled",
        "Dinonaktifkan oleh helpdesk",
        "Disabled by the helpdesk",
    ),
    ("helpdesk.status.locked", "Dikunci", "Locked"),
    (
        "helpdesk.held_since",
        "Dinonaktifkan helpdesk sejak",
        "Disabled by the helpdesk since",
    ),
    (
        "helpdesk.hold_siasn",
        "SIASN juga menyatakan pegawai ini tidak aktif: Aktifkan hanya mencabut penonaktifan oleh helpdesk, dan akun tetap tidak aktif sampai SIASN menyatakannya aktif kembali.",
        "SIASN also lists this person as no longer active: Enable lifts only the helpdesk's disable, and the account stays off until SIASN lists the person as active again.",
    ),
    (
        "helpdesk.status.siasn_inactive",
        "Tidak aktif menurut SIASN",
        "No longer active according to SIASN",
    ),
    ("helpdesk.email", "E-mail", "E-mail"),
    ("helpdesk.locked_until", "Dikunci hingga", "Locked until"),
    (
        "helpdesk.failures",
        "Gagal berturut-turut",
        "Consecutive failures",
    ),
    (
        "helpdesk.devices",
        "Perangkat verifikasi dua langkah",
        "Two-step verification devices",
    ),
    ("helpdesk.events", "Aktivitas terakhir", "Recent events"),
    ("helpdesk.action", "Tindakan", "Action"),
    (
        "helpdesk.reason",
        "Alasan atau nomor tiket (5–500 karakter)",
        "Reason or ticket number (5–500 characters)",
    ),
    (
        "helpdesk.new_email",
        "E-mail baru (untuk ubah e-mail)",
        "New e-mail (for an e-mail change)",
    ),
    ("helpdesk.confirm", "Saya yakin", "I am sure"),
    ("helpdesk.submit", "Jalankan", "Apply"),
    (
        "helpdesk.bad_reason",
        "Alasan wajib diisi, 5–500 karakter tanpa karakter tersembunyi, dan kotak konfirmasi harus dicentang.",
        "A reason of 5–500 characters (no hidden characters) and the confirmation are required.",
    ),
    (
        "helpdesk.bad_email",
        "Alamat e-mail baru tidak valid.",
        "The new e-mail address is not valid.",
    ),
    (
        "helpdesk.act.unlock",
        "Buka kunci akun",
        "Unlock the account",
    ),
    (
        "helpdesk.act.reset_mfa",
        "Reset verifikasi dua langkah (hapus semua perangkat)",
        "Reset two-step verification (remove every device)",
    ),
    (
        "helpdesk.act.disable",
        "Nonaktifkan akun",
        "Disable the account",
    ),
    ("helpdesk.act.enable", "Aktifkan akun", "Enable the account"),
    (
        "helpdesk.act.end_sessions",
        "Akhiri semua sesi",
        "End every session",
    ),
    ("helpdesk.act.set_email", "Ubah e-mail", "Change the e-mail"),
    ("audit.title", "Jejak audit", "Audit trail"),
    ("audit.actor", "NIP pelaku", "Actor NIP"),
    ("audit.subject", "NIP subjek", "Subject NIP"),
    ("audit.kind", "Jenis", "Kind"),
    ("audit.from", "Dari tanggal", "From"),
    ("audit.to", "Sampai tanggal", "To"),
    ("audit.at", "Waktu", "Time"),
    ("audit.detail", "Keterangan", "Detail"),
    ("audit.csv", "Unduh CSV", "Download CSV"),
    (
        "audit.admins_only",
        "Jejak audit hanya untuk admin BKN.",
        "The audit trail is for BKN admins only.",
    ),
    ("home.title", "Beranda", "Home"),
    (
        "home.signed_in_as",
        "Anda masuk sebagai",
        "You are signed in as",
    ),
    ("home.logout", "Keluar", "Sign out"),
    ("home.services", "Layanan Anda", "Your services"),
    (
        "home.no_services",
        "Belum ada layanan yang terdaftar untuk Anda.",
        "No services are registered for you yet.",
    ),
    ("consent.title", "Izin berbagi data", "Share your data?"),
    (
        "consent.asks",
        "meminta izin untuk menerima data berikut dari akun Gerbang ASN Anda:",
        "asks to receive the following from your Gerbang ASN account:",
    ),
    (
        "consent.claim_id",
        "Pengenal akun Anda (bukan NIP)",
        "Your account identifier (not your NIP)",
    ),
    (
        "consent.claim_profile",
        "Nama, NIP, instansi, unit kerja dan jabatan",
        "Name, NIP, agency, work unit and position",
    ),
    // Issue 18: account, enrolment and helpdesk pages.
    ("ua.unknown", "Peramban tidak dikenal", "Unknown browser"),
    ("ua.on", "di", "on"),
    (
        "event.session_reported",
        "Sesi diakhiri lewat tautan \"bukan saya\"",
        "Session ended through the \"not me\" link",
    ),
    ("notme.title", "Bukan saya", "This was not me"),
    (
        "notme.confirm",
        "Akhiri sesi masuk yang disebut dalam e-mail? Perangkat yang memakainya harus masuk lagi.",
        "End the sign-in session named in the e-mail? The device using it will have to sign in again.",
    ),
    (
        "notme.submit",
        "Ya, akhiri sesi itu",
        "Yes, end that session",
    ),
    (
        "notme.done",
        "Sesi itu telah diakhiri. Orang yang masuk tahu kata sandi dan kode Anda: segera ganti kata sandi (semua sesi lain ikut berakhir) dan hubungi helpdesk BKPSDM instansi Anda.",
        "That session has been ended. Whoever signed in knew your password and code: change your password now (every other session ends too) and contact your agency's BKPSDM helpdesk.",
    ),
    (
        "notme.invalid",
        "Tautan ini tidak berlaku lagi: sudah dipakai, sudah kedaluwarsa (sesinya sudah berakhir sendiri) atau tidak lengkap.",
        "This link no longer works: it was used, it expired (its session has ended by itself) or it is incomplete.",
    ),
    (
        "notme.advice",
        "Jika Anda merasa orang lain masuk ke akun Anda, ganti kata sandi lewat \"Lupa kata sandi\" dan hubungi helpdesk BKPSDM instansi Anda.",
        "If you think someone else signed in to your account, change your password through \"Forgotten password\" and contact your agency's BKPSDM helpdesk.",
    ),
    ("notme.reset", "Ganti kata sandi", "Change password"),
    ("event.login_success", "Berhasil masuk", "Signed in"),
    (
        "event.login_failure",
        "Gagal masuk (NIP atau kata sandi salah)",
        "Sign-in failed (wrong NIP or password)",
    ),
    ("event.login_blocked", "Masuk ditolak", "Sign-in refused"),
    (
        "event.login_captcha_failed",
        "Captcha salah saat masuk",
        "Wrong captcha at sign-in",
    ),
    (
        "event.otp_failure",
        "Kode verifikasi dua langkah salah",
        "Wrong two-step verification code",
    ),
    (
        "event.account_locked",
        "Akun dikunci sementara setelah beberapa kegagalan",
        "Account locked for a while after repeated failures",
    ),
    (
        "event.recovery_code_used",
        "Kode pemulihan dipakai",
        "A recovery code was used",
    ),
    (
        "event.recovery_codes_regenerated",
        "Kode pemulihan baru dibuat",
        "New recovery codes made",
    ),
    (
        "event.mfa_device_added",
        "Perangkat autentikator ditambahkan",
        "Authenticator device added",
    ),
    (
        "event.mfa_device_renamed",
        "Perangkat autentikator diganti nama",
        "Authenticator device renamed",
    ),
    (
        "event.mfa_device_removed",
        "Perangkat autentikator dihapus",
        "Authenticator device removed",
    ),
    (
        "event.password_changed",
        "Kata sandi diganti",
        "Password changed",
    ),
    (
        "event.reset_requested",
        "Kode atur ulang kata sandi dikirim lewat e-mail",
        "Password reset code sent by e-mail",
    ),
    (
        "event.password_reset",
        "Kata sandi diatur ulang dengan kode e-mail",
        "Password reset with an e-mailed code",
    ),
    (
        "event.account_activated",
        "Akun diaktifkan (kata sandi pertama dibuat)",
        "Account activated (first password set)",
    ),
    (
        "event.consent_granted",
        "Izin berbagi data diberikan kepada layanan",
        "Permission given to a service",
    ),
    (
        "event.consent_revoked",
        "Izin layanan dicabut",
        "A service's permission withdrawn",
    ),
    (
        "event.access_denied",
        "Layanan menolak akses (peran tidak sesuai)",
        "A service refused access (role required)",
    ),
    (
        "event.helpdesk_action",
        "Tindakan helpdesk",
        "Helpdesk action",
    ),
    (
        "event.helpdesk_refused",
        "Tindakan helpdesk ditolak",
        "Helpdesk action refused",
    ),
    (
        "event.helpdesk_denied",
        "Akses helpdesk ditolak (di luar wewenang)",
        "Helpdesk access refused (out of scope)",
    ),
    (
        "event.user_disabled",
        "Akun dinonaktifkan menurut data SIASN",
        "Account disabled from the SIASN records",
    ),
    (
        "event.user_enabled",
        "Akun diaktifkan kembali menurut data SIASN",
        "Account enabled again from the SIASN records",
    ),
    (
        "account.to_launcher",
        "Kembali ke layanan Anda",
        "Back to your services",
    ),
    (
        "account.sections",
        "Bagian halaman akun",
        "Account page sections",
    ),
    (
        "account.devices_explain",
        "Ponsel atau tablet dengan aplikasi autentikator yang memberi kode verifikasi dua langkah saat Anda masuk.",
        "Phones or tablets whose authenticator app gives your two-step verification code when you sign in.",
    ),
    (
        "account.remove_last_warn",
        "Ini perangkat terakhir Anda: setelah dihapus, Anda harus mendaftarkan perangkat baru saat masuk berikutnya.",
        "This is your last device: once removed, you must set up a new one at your next sign-in.",
    ),
    (
        "account.confirm_remove",
        "Ya, hapus perangkat ini (kodenya tidak berlaku lagi)",
        "Yes, remove this device (its codes stop working)",
    ),
    (
        "account.confirm_recovery",
        "Ya, buat kode baru (kode lama tidak berlaku lagi)",
        "Yes, make new codes (the old ones stop working)",
    ),
    (
        "account.confirm_needed",
        "Centang kotak konfirmasi atau gunakan halaman konfirmasi untuk melanjutkan. Tidak ada yang diubah.",
        "Tick the confirmation box or use the confirmation page to go on. Nothing was changed.",
    ),
    (
        "account.confirm_end_one",
        "Sesi ini akan keluar dari Gerbang ASN. Layanan yang dibuka di sana, juga aplikasi yang tetap masuk, meminta masuk lagi.",
        "This session will be signed out of Gerbang ASN. Services opened there, apps that stay signed in too, will ask to sign in again.",
    ),
    (
        "account.confirm_end_this",
        "Ini sesi yang sedang Anda pakai: Anda akan keluar dan perlu masuk lagi.",
        "This is the session you are using: you will be signed out and must sign in again.",
    ),
    (
        "account.confirm_end_all",
        "Semua sesi lain (peramban dan perangkat lain) akan keluar, juga aplikasi yang tetap masuk kecuali yang masuk dari sesi ini. Sesi ini tetap masuk.",
        "Every other session (other browsers and devices) will be signed out, and so will apps that stay signed in, except those signed in from this session. This one stays signed in.",
    ),
    (
        "account.confirm_revoke",
        "Layanan ini tidak lagi menerima data Anda saat Anda tidak masuk, dan akan meminta izin lagi saat Anda membukanya.",
        "This service no longer receives your data while you are signed out, and asks again the next time you open it.",
    ),
    (
        "account.cancel",
        "Batal, kembali ke akun",
        "Cancel, back to my account",
    ),
    ("account.since", "sejak", "since"),
    ("account.from_ip", "dari", "from"),
    (
        "recovery.download",
        "Unduh sebagai berkas teks",
        "Download as a text file",
    ),
    ("recovery.print", "Cetak", "Print"),
    (
        "recovery.gone",
        "Kode pemulihan hanya dapat diunduh beberapa menit setelah dibuat, dari sesi yang membuatnya. Buat kode baru di halaman Akun bila perlu.",
        "Recovery codes can be downloaded only in the minutes after they were made, from the session that made them. Make new ones on the Account page if needed.",
    ),
    (
        "enrol.add_title",
        "Tambah perangkat autentikator",
        "Add an authenticator device",
    ),
    (
        "enrol.add_intro",
        "Perangkat tambahan memberi kode verifikasi dua langkah yang sama sahnya. Buktikan dulu dengan perangkat yang sudah Anda punya.",
        "Another device gives two-step verification codes just as valid. First prove it with a device you already have.",
    ),
    (
        "enrol.cancel",
        "Batal, kembali ke akun",
        "Cancel, back to my account",
    ),
    (
        "enrol.later",
        "Ponsel tidak di tangan? Tidak ada yang berubah sampai kode dari aplikasi diterima.",
        "Phone not at hand? Nothing changes until a code from the app is accepted.",
    ),
    (
        "enrol.later_link",
        "Kembali ke halaman masuk",
        "Back to the sign-in page",
    ),
    (
        "enrol.open_app",
        "Buka di aplikasi autentikator",
        "Open in the authenticator app",
    ),
    (
        "enrol.open_app_hint",
        "Membuka halaman ini di ponsel yang sama? Ketuk tombol di atas; di komputer, pindai kode QR dengan ponsel.",
        "Reading this on the same phone? Tap the button above; on a computer, scan the QR code with your phone.",
    ),
    (
        "enrol.new_otp",
        "Kode 6 digit dari aplikasi",
        "The 6-digit code from the app",
    ),
    (
        "enrol.new_otp_hint",
        "Kode berganti setiap 30 detik; ketik yang sedang tampil.",
        "The code changes every 30 seconds; type the one shown now.",
    ),
    ("helpdesk.results", "Hasil pencarian", "Search results"),
    (
        "helpdesk.no_devices",
        "Belum ada perangkat: saat masuk berikutnya pegawai ini mendaftarkan perangkat baru.",
        "No device: at the next sign-in this person sets up a new one.",
    ),
    (
        "helpdesk.action_pick",
        "Pilih tindakan (hanya yang berlaku untuk pegawai ini)",
        "Choose an action (only those that apply to this person)",
    ),
    (
        "helpdesk.not_applicable",
        "Tindakan ini tidak berlaku untuk pegawai ini saat ini (misalnya buka kunci untuk akun yang tidak terkunci). Tidak ada yang diubah; halaman menampilkan tindakan yang berlaku.",
        "This action does not apply to this person now (for example Unlock for an account that is not locked). Nothing was changed; the page shows the actions that apply.",
    ),
    ("home.more", "Lainnya", "More"),
    (
        "home.account_hint",
        "perangkat, kata sandi, sesi, dan aktivitas",
        "devices, password, sessions and activity",
    ),
    ("home.helpdesk", "Konsol helpdesk", "Helpdesk console"),
    (
        "home.helpdesk_hint",
        "untuk petugas BKPSDM dan admin",
        "for BKPSDM staff and admins",
    ),
    (
        "audit.to_console",
        "Kembali ke konsol helpdesk",
        "Back to the helpdesk console",
    ),
    (
        "error.request_id",
        "Jika menghubungi helpdesk, sebutkan kode permintaan ini:",
        "If you contact the helpdesk, quote this request code:",
    ),
    ("consent.claim_email", "Alamat e-mail", "E-mail address"),
    (
        "consent.claim_offline",
        "Akses saat Anda tidak sedang masuk (sampai izin dicabut)",
        "Access while you are signed out (until you withdraw it)",
    ),
    (
        "consent.claim_helpdesk",
        "Tindakan helpdesk atas nama Anda",
        "Helpdesk actions on your behalf",
    ),
    (
        "consent.revocable",
        "Anda dapat mencabut izin ini kapan saja di halaman Akun.",
        "You can withdraw this at any time on the Account page.",
    ),
    ("consent.allow", "Izinkan", "Allow"),
    ("consent.deny", "Tolak", "Deny"),
    (
        "account.consents",
        "Layanan yang Anda beri izin",
        "Services you have allowed",
    ),
    ("account.no_consents", "Belum ada.", "None yet."),
    ("account.revoke_consent", "Cabut izin", "Withdraw"),
    (
        "account.consent_revoked",
        "Izin dicabut.",
        "Permission withdrawn.",
    ),
    ("logout.title", "Keluar", "Sign out"),
    (
        "logout.confirm",
        "Keluar dari Gerbang ASN dan semua layanan di peramban ini?",
        "Sign out of Gerbang ASN and every service in this browser?",
    ),
    ("logout.submit", "Ya, keluar", "Yes, sign out"),
    ("logout.done", "Anda telah keluar.", "You have signed out."),
    ("logout.again", "Masuk lagi", "Sign in again"),
    ("error.title", "Terjadi kesalahan", "Something went wrong"),
    ("error.back", "Kembali ke beranda", "Back to home"),
    (
        "error.internal",
        "Terjadi kesalahan pada server. Silakan coba beberapa saat lagi.",
        "The server had a problem. Please try again in a moment.",
    ),
    (
        "error.unavailable",
        "Layanan sedang tidak tersedia sementara. Data Anda aman; silakan coba lagi dalam satu menit.",
        "The service is briefly unavailable. Your data is safe; please try again in a minute.",
    ),
    (
        "error.not_found",
        "Halaman tidak ditemukan.",
        "Page not found.",
    ),
    (
        "error.csrf",
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form has expired or is invalid. Reload the page and try again.",
    ),
    (
        "error.form_only",
        "Alamat ini hanya menerima kiriman formulir dan tidak dapat dibuka langsung. Kembali ke halaman sebelumnya, lalu kirim formulirnya lagi.",
        "This address only receives a form and cannot be opened directly. Go back to the previous page and send the form again.",
    ),
    (
        "error.too_large",
        "Permintaan terlalu besar.",
        "The request is too large.",
    ),
    (
        "error.unknown_client",
        "Aplikasi yang meminta login tidak terdaftar di Gerbang ASN.",
        "The application asking you to sign in is not registered with Gerbang ASN.",
    ),
    (
        "error.bad_redirect_uri",
        "Alamat kembali (redirect_uri) aplikasi tidak terdaftar. Hubungi pengelola aplikasi tersebut.",
        "The application's return address (redirect_uri) is not registered. Contact the application's administrators.",
    ),
    (
        "error.bad_request",
        "Permintaan tidak valid.",
        "Invalid request.",
    ),
    (
        "error.control_chars",
        "Permintaan tidak valid: ada karakter kontrol (karakter tak terlihat) pada isian atau alamat. Tidak ada yang diubah.",
        "Invalid request: a field or the address holds a control character (an invisible character). Nothing was changed.",
    ),
    (
        "error.login_expired",
        "Permintaan login sudah kedaluwarsa. Silakan buka kembali aplikasi yang Anda tuju.",
        "The sign-in request has expired. Please open the application again.",
    ),
    (
        "error.par_expired",
        "Permintaan login dari aplikasi sudah kedaluwarsa atau sudah dipakai. Silakan buka kembali aplikasi tersebut.",
        "The application's sign-in request has expired or was already used. Please open the application again.",
    ),
    (
        "error.bad_logout",
        "Alamat kembali setelah keluar tidak terdaftar untuk aplikasi ini.",
        "The address to return to after signing out is not registered for this application.",
    ),
    // Issue 15: sign-in and factor changes.
    (
        "account.otp_any",
        "Kode OTP dari salah satu perangkat Anda",
        "OTP code from one of your devices",
    ),
    (
        "enrol.current_otp",
        "Kode OTP dari perangkat yang sudah terdaftar (atau kode pemulihan)",
        "OTP code from a device you already have (or a recovery code)",
    ),
    (
        "enrol.current_otp_hint",
        "Perangkat baru hanya dapat ditambahkan dengan bukti dari perangkat lama.",
        "A new device can only be added with proof from one you already have.",
    ),
    (
        "enrol.current_password",
        "Kata sandi Anda saat ini",
        "Your current password",
    ),
    ("otp.start_over", "Ulangi dari awal", "Start over"),
    // Helpdesk, scopes and roles (issue 15).
    (
        "helpdesk.step_up_locked",
        "Terlalu banyak kode OTP yang salah. Demi keamanan, sesi Anda diakhiri: masuk lagi dengan kata sandi dan OTP. Kode konfirmasi dapat dicoba lagi pukul {}.",
        "Too many wrong OTP codes. For security, your session has ended: sign in again with your password and OTP. Confirmation codes can be tried again at {}.",
    ),
    (
        "helpdesk.self",
        "Anda tidak dapat menjalankan tindakan helpdesk atas akun Anda sendiri. Kelola akun Anda di halaman Akun, atau minta petugas lain.",
        "You cannot take helpdesk actions on your own account. Manage it on the Account page, or ask another officer.",
    ),
    (
        "helpdesk.siasn_inactive",
        "Akun ini tidak dapat diaktifkan oleh helpdesk: menurut SIASN pegawai ini tidak lagi aktif (misalnya pensiun, diberhentikan, atau meninggal dunia). Jika data itu keliru, instansi harus memperbaiki data di SIASN.",
        "The helpdesk cannot enable this account: SIASN lists this person as no longer active (for example retired, discharged, or deceased). If that is wrong, the agency must correct the record in SIASN.",
    ),
    // Issue 25 item 6: the logout confirmation, the console's words for events and notices.
    (
        "logout.asked_by",
        "Permintaan keluar ini datang dari layanan {}.",
        "This sign-out was asked for by the service {}.",
    ),
    ("logout.cancel", "Batal", "Cancel"),
    ("event.other", "Peristiwa lain", "Other event"),
    (
        "event.detail.locked",
        "akun sedang dikunci",
        "the account was locked",
    ),
    (
        "event.detail.disabled",
        "akun dinonaktifkan",
        "the account is disabled",
    ),
    (
        "event.detail.known_browser",
        "hanya di peramban yang pernah dipakai masuk",
        "only in a browser that signed in before",
    ),
    (
        "event.detail.replayed",
        "kode sudah pernah dipakai",
        "the code was already used",
    ),
    (
        "event.detail.recovery_code",
        "dengan kode pemulihan",
        "with a recovery code",
    ),
    (
        "event.detail.out_of_scope",
        "di luar instansi petugas",
        "outside the officer's agencies",
    ),
    (
        "event.detail.staff_member",
        "pegawai ini juga petugas (hanya admin)",
        "this person is staff (admins only)",
    ),
    (
        "event.detail.own_account",
        "akun petugas sendiri",
        "the officer's own account",
    ),
    (
        "event.detail.no_reason",
        "tanpa alasan atau konfirmasi",
        "no reason or confirmation",
    ),
    (
        "event.detail.bad_action",
        "tindakan tidak dikenal atau e-mail tidak valid",
        "unknown action or invalid e-mail",
    ),
    (
        "event.detail.enable_over_siasn_refused",
        "mengaktifkan akun yang dinonaktifkan SIASN (hanya admin)",
        "enabling over a SIASN disable (admins only)",
    ),
    (
        "event.detail.not_applicable",
        "tindakan tidak berlaku saat itu",
        "the action did not apply then",
    ),
    (
        "event.detail.step_up_wrong",
        "kode OTP konsol salah",
        "wrong console OTP code",
    ),
    (
        "event.detail.step_up_locked",
        "terlalu banyak kode OTP konsol salah",
        "too many wrong console OTP codes",
    ),
    (
        "event.detail.api_client",
        "API: aplikasi tidak diizinkan memakai lingkup helpdesk",
        "API: the client is not allowed the helpdesk scope",
    ),
    (
        "event.detail.api_stale",
        "API: tanpa kode OTP yang baru",
        "API: no recent OTP code",
    ),
    (
        "event.detail.api_session_ended",
        "API: sesi masuknya sudah berakhir",
        "API: its sign-in had ended",
    ),
    (
        "event.detail.api_no_role",
        "API: tanpa peran helpdesk",
        "API: no helpdesk role",
    ),
    (
        "event.detail.breach_unavailable",
        "daftar kata sandi bocor tidak dapat diperiksa saat itu",
        "the list of leaked passwords could not be checked at the time",
    ),
    (
        "event.detail.policy_code",
        "saat menukar kode: layanan tidak lagi menerima pegawai ini",
        "at the code exchange: the service no longer admits this person",
    ),
    (
        "event.detail.policy_refresh",
        "saat memperbarui token: layanan tidak lagi menerima pegawai ini",
        "at a token refresh: the service no longer admits this person",
    ),
    (
        "event.detail.skew",
        "jam ponsel meleset sekitar {} menit",
        "phone clock off by about {} minutes",
    ),
    ("event.detail.codes_left", "sisa {} kode", "{} codes left"),
    (
        "event.detail.enable_over_siasn",
        "Aktifkan akun (melewati status SIASN {})",
        "Enable the account (over SIASN status {})",
    ),
    (
        "event.detail.siasn_status",
        "status SIASN: {}",
        "SIASN status: {}",
    ),
    (
        "helpdesk.status.never_activated",
        "Belum pernah diaktifkan (belum membuat kata sandi)",
        "Never activated (no password set yet)",
    ),
    (
        "helpdesk.no_match",
        "Tidak ada yang cocok dengan “{}” di instansi Anda.",
        "No one matches “{}” in your agencies.",
    ),
    (
        "helpdesk.done.unlock",
        "Akun {} dibuka kuncinya; pegawai diberi tahu lewat e-mail.",
        "{}'s account was unlocked; they were told by e-mail.",
    ),
    (
        "helpdesk.done.reset_mfa",
        "MFA {} direset (semua perangkat dihapus); pegawai diberi tahu lewat e-mail.",
        "{}'s MFA was reset (every device removed); they were told by e-mail.",
    ),
    (
        "helpdesk.done.disable",
        "Akun {} dinonaktifkan; pegawai diberi tahu lewat e-mail.",
        "{}'s account was disabled; they were told by e-mail.",
    ),
    (
        "helpdesk.done.enable",
        "Akun {} diaktifkan kembali; pegawai diberi tahu lewat e-mail.",
        "{}'s account was enabled again; they were told by e-mail.",
    ),
    (
        "helpdesk.done.set_email",
        "E-mail {} diubah; pegawai diberi tahu lewat e-mail.",
        "{}'s e-mail was changed; they were told by e-mail.",
    ),
    (
        "helpdesk.done.end_sessions",
        "Semua sesi {} diakhiri; pegawai diberi tahu lewat e-mail.",
        "Every session of {} was ended; they were told by e-mail.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages_and_unique_keys() {
        let mut keys = std::collections::HashSet::new();
        for (k, id, en) in TEXTS {
            assert!(keys.insert(k), "duplicate key {k}");
            assert!(!id.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(Lang::En.t("login.title"), "Sign in");
        assert_eq!(Lang::Id.t("login.title"), "Masuk");
    }

    /// Every key the templates and the code name is in `TEXTS` with both languages, and
    /// every entry of `TEXTS` has both; the failure lists every gap at once.
    ///
    /// Templates call `lang.t("key")` or pass a variable (`lang.t(k)`) whose values are
    /// string literals in `src/` (error keys, notices, statuses, claim and rule names, match
    /// arms). So a key is any `"ns.rest"` literal in `src/` whose namespace `ns` is one the
    /// table uses, except template file names (`"login.html"`). No key is built with
    /// `format!` today; a literal that starts a key and then interpolates (`"ns.{…}"`) fails
    /// here, so whoever adds one lists its expansions in this test.
    #[test]
    fn every_key_used_exists_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let table: std::collections::HashMap<&str, (&str, &str)> =
            TEXTS.iter().map(|(k, id, en)| (*k, (*id, *en))).collect();
        let namespaces: std::collections::HashSet<&str> = TEXTS
            .iter()
            .filter_map(|(k, _, _)| k.split_once('.').map(|(ns, _)| ns))
            .collect();
        let is_key_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.".contains(c);

        // (where, key) for every use found.
        let mut used: Vec<(String, String)> = Vec::new();
        let mut dynamic: Vec<String> = Vec::new();

        for entry in std::fs::read_dir(root.join("templates")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for (i, _) in text.match_indices("t(\"") {
                let rest = &text[i + 3..];
                let key = &rest[..rest.find('"').unwrap()];
                used.push((format!("templates/{name}"), key.to_string()));
            }
        }

        let mut files = vec![root.join("src")];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            // The table itself is what the uses are checked against.
            if path.extension() != Some("rs".as_ref()) || path.ends_with("web/i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let file = path.strip_prefix(root).unwrap().display().to_string();
            for (i, _) in text.match_indices('"') {
                let rest = &text[i + 1..];
                let end = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
                let token = &rest[..end];
                let Some((ns, _)) = token.split_once('.') else {
                    continue;
                };
                if !namespaces.contains(ns) {
                    continue;
                }
                // `"login.html"` names a template, not a text.
                let template = root.join("templates").join(token).is_file();
                match (rest[end..].chars().next(), token.ends_with('.')) {
                    (Some('"'), false) if !template => used.push((file.clone(), token.into())),
                    (Some('"'), true) | (Some('{'), _) => {
                        dynamic.push(format!("{file}: \"{token}…\""))
                    }
                    _ => {}
                }
            }
        }
        assert!(used.len() > 100, "the scan found too few keys: {used:?}");

        let mut missing: Vec<String> = used
            .iter()
            .filter(|(_, k)| !table.contains_key(k.as_str()))
            .map(|(at, k)| format!("{k} ({at})"))
            .collect();
        missing.sort();
        missing.dedup();
        let mut one_language: Vec<String> = TEXTS
            .iter()
            .filter(|(_, id, en)| id.trim().is_empty() || en.trim().is_empty())
            .map(|(k, id, _)| {
                let lacks = if id.trim().is_empty() {
                    "Indonesian"
                } else {
                    "English"
                };
                format!("{k} (no {lacks})")
            })
            .collect();
        one_language.sort();
        assert!(
            missing.is_empty() && one_language.is_empty() && dynamic.is_empty(),
            "i18n gaps.\nUsed but not in TEXTS:\n  {}\nIn TEXTS with one language only:\n  {}\n\
             Keys built at run time (list their expansions in this test):\n  {}",
            missing.join("\n  "),
            one_language.join("\n  "),
            dynamic.join("\n  ")
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "\"no.such_key\"")]
    fn a_missing_key_panics_in_debug_builds() {
        Lang::En.t("no.such_key");
    }

    #[test]
    fn accept_language_picks_first_known() {
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("id-ID"), Some(Lang::Id));
        assert_eq!(Lang::parse("fr"), None);
    }
}
