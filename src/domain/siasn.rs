//! SIASN employment states ("kedudukan hukum") as the import reads them, and whether each
//! still allows a person into the services. Names follow SIASN's reference list (Aktif, CLTN,
//! Tugas Belajar, Pemberhentian Sementara, Masa Persiapan Pensiun, Diberhentikan, Pensiun …)
//! plus the short forms agencies write by hand.

/// One employment state. `code()` is what `users.siasn_status` stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiasnStatus {
    Aktif,
    /// Masa Persiapan Pensiun: still a civil servant (and paid) until the retirement date.
    Mpp,
    /// Tugas Belajar: assigned to study by the agency, still employed and reachable.
    TugasBelajar,
    /// Penerima Uang Tunggu: without a post after a reorganisation but still a civil servant
    /// who may be placed again at any time.
    UangTunggu,
    /// Pensiun / Mencapai BUP / Pemberhentian dengan hak pensiun: left the service.
    Pensiun,
    /// Diberhentikan (with or without honour, without pension, NIP cancelled): left the service.
    Diberhentikan,
    /// Meninggal Dunia: an account of someone who died must never be used again.
    Meninggal,
    /// Cuti di Luar Tanggungan Negara (and its extension): released from duty and unpaid.
    Cltn,
    /// Pemberhentian Sementara (also a civil servant serving as Pejabat Negara, who is
    /// temporarily discharged by law): no duties, so no access until reinstated.
    Sementara,
    /// PNS yang dinyatakan hilang: nobody may be using this account in good faith.
    Hilang,
    /// Not a SIASN state: the person is missing from a full snapshot (`--full-snapshot`).
    Absent,
}

/// Why an account is disabled, in the words the refusal page uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Retired,
    Dismissed,
    Deceased,
    Leave,
    Suspended,
    Missing,
    Absent,
}

impl Reason {
    /// The i18n key of the sentence that explains it.
    pub fn i18n_key(self) -> &'static str {
        match self {
            Reason::Retired => "disabled.retired",
            Reason::Dismissed => "disabled.dismissed",
            Reason::Deceased => "disabled.deceased",
            Reason::Leave => "disabled.leave",
            Reason::Suspended => "disabled.suspended",
            Reason::Missing => "disabled.missing",
            Reason::Absent => "disabled.absent",
        }
    }
}

const ALL: [SiasnStatus; 11] = [
    SiasnStatus::Aktif,
    SiasnStatus::Mpp,
    SiasnStatus::TugasBelajar,
    SiasnStatus::UangTunggu,
    SiasnStatus::Pensiun,
    SiasnStatus::Diberhentikan,
    SiasnStatus::Meninggal,
    SiasnStatus::Cltn,
    SiasnStatus::Sementara,
    SiasnStatus::Hilang,
    SiasnStatus::Absent,
];

impl SiasnStatus {
    /// Reads a cell of the import's `status` column: case, surrounding spaces, repeated
    /// spaces, `_` and `-` do not matter; an empty cell means active. `None`: unknown.
    pub fn parse(cell: &str) -> Option<SiasnStatus> {
        let norm = cell
            .replace(['_', '-'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        use SiasnStatus::*;
        Some(match norm.as_str() {
            "" | "aktif" | "active" | "pegawai aktif" => Aktif,
            "mpp" | "masa persiapan pensiun" => Mpp,
            "tugas belajar" => TugasBelajar,
            "penerima uang tunggu" | "uang tunggu" => UangTunggu,
            "pensiun" | "pensiunan" | "mencapai bup" | "pemberhentian dengan hak pensiun" => {
                Pensiun
            }
            "diberhentikan"
            | "diberhentikan dengan hormat"
            | "diberhentikan tidak dengan hormat"
            | "pemberhentian dengan hormat"
            | "pemberhentian tidak dengan hormat"
            | "pemberhentian tanpa hak pensiun"
            | "pembatalan nip" => Diberhentikan,
            "meninggal" | "meninggal dunia" | "wafat" => Meninggal,
            "cltn"
            | "perpanjangan cltn"
            | "cuti di luar tanggungan negara"
            | "cuti diluar tanggungan negara" => Cltn,
            "pemberhentian sementara" | "diberhentikan sementara" | "pejabat negara" => Sementara,
            "hilang" | "pns yang dinyatakan hilang" => Hilang,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            SiasnStatus::Aktif => "aktif",
            SiasnStatus::Mpp => "mpp",
            SiasnStatus::TugasBelajar => "tugas_belajar",
            SiasnStatus::UangTunggu => "uang_tunggu",
            SiasnStatus::Pensiun => "pensiun",
            SiasnStatus::Diberhentikan => "diberhentikan",
            SiasnStatus::Meninggal => "meninggal",
            SiasnStatus::Cltn => "cltn",
            SiasnStatus::Sementara => "pemberhentian_sementara",
            SiasnStatus::Hilang => "hilang",
            SiasnStatus::Absent => "absent",
        }
    }

    /// The inverse of `code()`, for what the database stores.
    pub fn from_code(code: &str) -> Option<SiasnStatus> {
        ALL.into_iter().find(|s| s.code() == code)
    }

    /// Why this state disables an account; `None` while the person may sign in.
    pub fn reason(self) -> Option<Reason> {
        match self {
            SiasnStatus::Aktif
            | SiasnStatus::Mpp
            | SiasnStatus::TugasBelajar
            | SiasnStatus::UangTunggu => None,
            SiasnStatus::Pensiun => Some(Reason::Retired),
            SiasnStatus::Diberhentikan => Some(Reason::Dismissed),
            SiasnStatus::Meninggal => Some(Reason::Deceased),
            SiasnStatus::Cltn => Some(Reason::Leave),
            SiasnStatus::Sementara => Some(Reason::Suspended),
            SiasnStatus::Hilang => Some(Reason::Missing),
            SiasnStatus::Absent => Some(Reason::Absent),
        }
    }

    pub fn is_active(self) -> bool {
        self.reason().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_wording() {
        use SiasnStatus::*;
        for (cell, want, active) in [
            ("", Aktif, true),
            ("  AKTIF ", Aktif, true),
            ("Active", Aktif, true),
            ("Pegawai Aktif", Aktif, true),
            ("MPP", Mpp, true),
            ("Masa  Persiapan Pensiun", Mpp, true),
            ("tugas_belajar", TugasBelajar, true),
            ("Penerima Uang Tunggu", UangTunggu, true),
            ("pensiun", Pensiun, false),
            ("Mencapai BUP", Pensiun, false),
            ("Pemberhentian dengan hak pensiun", Pensiun, false),
            ("DIBERHENTIKAN", Diberhentikan, false),
            ("Diberhentikan Dengan Hormat", Diberhentikan, false),
            ("Diberhentikan Tidak Dengan Hormat", Diberhentikan, false),
            ("Pemberhentian tanpa hak pensiun", Diberhentikan, false),
            ("Pembatalan NIP", Diberhentikan, false),
            ("meninggal", Meninggal, false),
            ("Meninggal Dunia", Meninggal, false),
            ("cltn", Cltn, false),
            ("Perpanjangan CLTN", Cltn, false),
            ("Cuti di Luar Tanggungan Negara", Cltn, false),
            ("cuti-diluar-tanggungan-negara", Cltn, false),
            ("Pemberhentian Sementara", Sementara, false),
            ("Pejabat Negara", Sementara, false),
            ("PNS yang dinyatakan hilang", Hilang, false),
        ] {
            assert_eq!(SiasnStatus::parse(cell), Some(want), "{cell:?}");
            assert_eq!(want.is_active(), active, "{cell:?}");
        }
    }

    #[test]
    fn unknown_wordings_are_refused() {
        for cell in [
            "retired",
            "pensiun?",
            "aktif aktif",
            "absent",
            "1",
            "nonaktif",
        ] {
            assert_eq!(SiasnStatus::parse(cell), None, "{cell:?}");
        }
    }

    #[test]
    fn codes_round_trip_and_only_absence_has_no_wording() {
        for s in ALL {
            assert_eq!(SiasnStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(SiasnStatus::from_code("bogus"), None);
        assert_eq!(SiasnStatus::Absent.reason(), Some(Reason::Absent));
    }
}
