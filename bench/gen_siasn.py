#!/usr/bin/env python3
"""Writes a synthetic SIASN export for `gerbang user import`, as large as the real one.

    python3 bench/gen_siasn.py 5200000 > /tmp/siasn.csv
    python3 bench/gen_siasn.py 100000 --bad-every 1000 --seed 7 > /tmp/siasn-small.csv

Every NIP is structurally valid (birth date, appointment year/month or PPPK "21", gender,
sequence) and unique; names, agencies, units and positions are drawn from Indonesian lists
with a fixed seed, so the same arguments always give the same file. `--bad-every N` puts a
malformed row (bad NIP, bad e-mail or missing name, in turn) after every N good ones, for
testing that bad rows are reported and skipped.

`--status` adds SIASN's `status` column (all `aktif`); `--leaving F` (implies `--status`)
gives a fraction F of the people a state that is not active (pensiun, diberhentikan,
meninggal dunia, CLTN, in turn), drawn from a separate generator so the rest of the file
(NIPs, names, addresses) stays identical to the run without it:

    python3 bench/gen_siasn.py 5200000 --status > /tmp/siasn-0.csv
    python3 bench/gen_siasn.py 5200000 --leaving 0.01 > /tmp/siasn-1.csv
"""
import argparse
import csv
import datetime
import random
import sys

FIRST = ("Agus Ahmad Andi Ani Arif Bambang Budi Dedi Dewi Dian Dodi Eka Endang Fajar Fitri "
         "Hadi Hendra Indah Intan Joko Kartika Lestari Made Nur Nyoman Putri Rahmat Rina "
         "Rini Siti Slamet Sri Teguh Tri Wahyu Wayan Yanti Yudi Yusuf Zainal").split()
LAST = ("Hidayat Kurniawan Lestari Nugroho Pratama Putra Rahayu Saputra Setiawan Siregar "
        "Simanjuntak Sitompul Suharto Susanto Utami Wibowo Wijaya Yulianti Gunawan Harahap "
        "Nasution Pangaribuan Sembiring Tanjung Hutapea Manurung Daulay Lubis").split()
DOMAINS = ("bkn.go.id kemenkeu.go.id kemdikbud.go.id kemenkes.go.id jakarta.go.id "
           "jatengprov.go.id jatimprov.go.id jabarprov.go.id sumutprov.go.id gmail.com").split()
UNITS = ("Sekretariat|Biro Umum|Biro Kepegawaian|Direktorat Sistem Informasi|Inspektorat|"
         "Bidang Mutasi|Bidang Pengembangan|Dinas Pendidikan|Dinas Kesehatan|Puskesmas Kecamatan|"
         "SMA Negeri 1|RSUD|Badan Keuangan Daerah|Kantor Regional").split("|")
JOBS = ("Analis Kepegawaian|Pranata Komputer|Guru Ahli Pertama|Guru Ahli Muda|Perawat Terampil|"
        "Bidan|Dokter Ahli Pertama|Arsiparis|Auditor|Pengelola Keuangan|Kepala Seksi|"
        "Kepala Bidang|Penyuluh Pertanian|Analis Kebijakan").split("|")


def agencies(rng):
    # ~80 central agencies (4 digits) and ~540 regional ones (letter + 3 digits), as SIASN.
    central = [f"{4000 + i:04d}" for i in range(80)]
    regional = [f"{rng.choice('ABCDEFGH')}{i:03d}" for i in range(540)]
    return central + regional


def nip(i, rng):
    group, seq = divmod(i, 999)
    # One birth date per group of 999 sequence numbers keeps every NIP unique.
    birth = datetime.date(1962, 1, 1) + datetime.timedelta(days=group % 14000)
    year = min(birth.year + rng.randint(20, 35), 2025)
    month = 21 if rng.random() < 0.2 else rng.randint(1, 12)
    gender = 1 + (group // 14000) % 2
    return f"{birth:%Y%m%d}{year:04d}{month:02d}{gender}{seq + 1:03d}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("--bad-every", type=int, default=0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--status", action="store_true")
    ap.add_argument("--leaving", type=float, default=0.0)
    a = ap.parse_args()
    with_status = a.status or a.leaving > 0
    leaving_rng = random.Random(a.seed + 1)
    leaving = ["pensiun", "diberhentikan", "meninggal dunia", "cltn"]
    left = 0
    if a.rows > 14000 * 2 * 999:
        sys.exit("at most 27,972,000 unique NIPs with this scheme")
    rng = random.Random(a.seed)
    ids = agencies(rng)
    out = csv.writer(sys.stdout, lineterminator="\n")
    header = ["nip", "name", "email", "instansi_id", "unit_kerja", "jabatan"]
    out.writerow(header + ["status"] if with_status else header)
    bad = 0
    for i in range(a.rows):
        n = nip(i, rng)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        email = f"{first}.{last}.{n[-6:]}@{rng.choice(DOMAINS)}".lower()
        row = [n, name, email, rng.choice(ids), rng.choice(UNITS), rng.choice(JOBS)]
        if with_status:
            status = "aktif"
            if leaving_rng.random() < a.leaving:
                status = leaving[left % len(leaving)]
                left += 1
            row.append(status)
        out.writerow(row)
        if a.bad_every and (i + 1) % a.bad_every == 0:
            kind = bad % 3
            bad += 1
            if kind == 0:
                out.writerow([n[:17], name, email, rng.choice(ids), "", ""] + ([""] if with_status else []))
            elif kind == 1:
                out.writerow([n, name, "bukan-email", rng.choice(ids), "", ""] + ([""] if with_status else []))
            else:
                out.writerow([n, "", email, rng.choice(ids), "", ""] + ([""] if with_status else []))


if __name__ == "__main__":
    main()
