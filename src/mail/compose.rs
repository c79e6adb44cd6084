//! The e-mails Gerbang writes, in the reader's language.

use crate::store::outbox::Mail;
use crate::web::i18n::Lang;

fn footer(lang: Lang) -> &'static str {
    match lang {
        Lang::Id => {
            "\n\nJika Anda tidak merasa melakukan ini, segera hubungi helpdesk BKPSDM instansi Anda.\n\n-- \nGerbang ASN (e-mail otomatis, mohon tidak dibalas)\n"
        }
        Lang::En => {
            "\n\nIf this was not you, contact your agency's BKPSDM helpdesk at once.\n\n-- \nGerbang ASN (automatic e-mail, please do not reply)\n"
        }
    }
}

pub fn reset_code(lang: Lang, to: &str, name: &str, code: &str, link: &str, minutes: i64) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Kode aktivasi / reset kata sandi Gerbang ASN".to_string(),
            format!(
                "Yth. {name},\n\nKode Anda: {code}\n\nMasukkan kode ini pada halaman atur ulang kata sandi, atau buka tautan berikut:\n{link}\n\nKode berlaku {minutes} menit dan hanya dapat dipakai sekali. Jangan berikan kode ini kepada siapa pun, termasuk petugas."
            ),
        ),
        Lang::En => (
            "Gerbang ASN activation / password reset code".to_string(),
            format!(
                "Dear {name},\n\nYour code: {code}\n\nEnter it on the password reset page, or open this link:\n{link}\n\nThe code is valid for {minutes} minutes and works once. Never give it to anyone, staff included."
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

pub fn device_added(lang: Lang, to: &str, name: &str, device: &str, when: &str) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Perangkat autentikator baru pada akun Gerbang ASN Anda".to_string(),
            format!(
                "Yth. {name},\n\nPerangkat autentikator \"{device}\" ditambahkan ke akun Gerbang ASN Anda pada {when}."
            ),
        ),
        Lang::En => (
            "New authenticator on your Gerbang ASN account".to_string(),
            format!(
                "Dear {name},\n\nThe authenticator \"{device}\" was added to your Gerbang ASN account on {when}."
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

pub fn device_changed(lang: Lang, to: &str, name: &str, device: &str, when: &str) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Perangkat autentikator Anda diubah".to_string(),
            format!(
                "Yth. {name},\n\nNama perangkat autentikator pada akun Gerbang ASN Anda diubah menjadi \"{device}\" pada {when}."
            ),
        ),
        Lang::En => (
            "Your authenticator was renamed".to_string(),
            format!(
                "Dear {name},\n\nAn authenticator on your Gerbang ASN account was renamed to \"{device}\" on {when}."
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

pub fn device_removed(lang: Lang, to: &str, name: &str, device: &str, when: &str) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Perangkat autentikator dihapus dari akun Anda".to_string(),
            format!(
                "Yth. {name},\n\nPerangkat autentikator \"{device}\" dihapus dari akun Gerbang ASN Anda pada {when}."
            ),
        ),
        Lang::En => (
            "An authenticator was removed from your account".to_string(),
            format!(
                "Dear {name},\n\nThe authenticator \"{device}\" was removed from your Gerbang ASN account on {when}."
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

/// Tells a person what their agency's helpdesk did to their account.
pub fn helpdesk_action(
    lang: Lang,
    to: &str,
    name: &str,
    what: &str,
    agency: &str,
    when: &str,
) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Perubahan akun Gerbang ASN oleh helpdesk".to_string(),
            format!(
                "Yth. {name},\n\nHelpdesk BKPSDM {agency} melakukan tindakan berikut pada akun Gerbang ASN Anda pada {when}:\n{what}"
            ),
        ),
        Lang::En => (
            "Your Gerbang ASN account was changed by the helpdesk".to_string(),
            format!(
                "Dear {name},\n\nThe BKPSDM helpdesk of {agency} did the following to your Gerbang ASN account on {when}:\n{what}"
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

pub fn recovery_code_used(lang: Lang, to: &str, name: &str, left: i64, when: &str) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Kode pemulihan Gerbang ASN Anda dipakai".to_string(),
            format!(
                "Yth. {name},\n\nSebuah kode pemulihan dipakai untuk masuk ke akun Gerbang ASN Anda pada {when}. Sisa kode: {left}.\nJika ponsel Anda hilang atau diganti, daftarkan perangkat autentikator baru di halaman Akun."
            ),
        ),
        Lang::En => (
            "A Gerbang ASN recovery code was used".to_string(),
            format!(
                "Dear {name},\n\nA recovery code was used to sign in to your Gerbang ASN account on {when}. Codes left: {left}.\nIf your phone was lost or replaced, add a new authenticator on the Account page."
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

pub fn password_changed(lang: Lang, to: &str, name: &str, when: &str) -> Mail {
    let (subject, body) = match lang {
        Lang::Id => (
            "Kata sandi Gerbang ASN Anda telah diubah".to_string(),
            format!(
                "Yth. {name},\n\nKata sandi akun Gerbang ASN Anda telah diubah pada {when}. Semua sesi yang aktif telah diakhiri."
            ),
        ),
        Lang::En => (
            "Your Gerbang ASN password was changed".to_string(),
            format!(
                "Dear {name},\n\nYour Gerbang ASN password was changed on {when}. Every active session has been ended."
            ),
        ),
    };
    Mail {
        to: to.into(),
        subject,
        body: body + footer(lang),
    }
}

/// A full sign-in from a browser that held no mark for this person. Gerbang does not know
/// which language they read, so the mail says it in both (Bahasa Indonesia first).
pub fn new_browser(
    to: &str,
    name: &str,
    seen: [&str; 2],
    ip: &str,
    when: &str,
    link: &str,
) -> Mail {
    let body = format!(
        "Yth. {name},\n\nAkun Gerbang ASN Anda baru saja dipakai masuk dari peramban yang belum pernah Anda pakai untuk masuk:\n  Peramban: {}\n  Alamat IP: {ip}\n  Waktu: {when}\n\nJika itu Anda, abaikan e-mail ini. Jika bukan, buka tautan berikut untuk mengakhiri sesi itu, lalu segera ganti kata sandi Anda:\n{link}{}\n\n---\n\nDear {name},\n\nYour Gerbang ASN account was just signed in to from a browser you had not signed in with before:\n  Browser: {}\n  IP address: {ip}\n  Time: {when}\n\nIf that was you, ignore this e-mail. If not, open this link to end that session, then change your password at once:\n{link}{}",
        seen[0],
        footer(Lang::Id).trim_end(),
        seen[1],
        footer(Lang::En),
    );
    Mail {
        to: to.into(),
        subject: "Masuk dari peramban baru / New browser sign-in - Gerbang ASN".to_string(),
        body,
    }
}
