"""What a voter reads about their data rights (UU 27/2022): the /datasaya summary and the
HAPUS DATA confirmation texts, Indonesian first. Pure: ``bot`` gathers the data, this words it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from nlu.regions import region_by_code
from nlu.signals import describe

from .events import Button

PAYLOAD_ERASE_YES = "erase:yes"
PAYLOAD_ERASE_NO = "erase:no"
CONFIRM_WINDOW = timedelta(minutes=15)

_TEXTS: dict[str, dict[str, str]] = {
    "header": {"id": "Data yang kami simpan tentang Anda:", "en": "The data we keep about you:"},
    "language": {"id": "Bahasa", "en": "Language"},
    "language_id": {"id": "Bahasa Indonesia", "en": "Indonesian"},
    "language_en": {"id": "Bahasa Inggris", "en": "English"},
    "region": {"id": "Daerah", "en": "Region"},
    "timezone": {"id": "Zona waktu", "en": "Time zone"},
    "none": {"id": "belum tercatat", "en": "not recorded"},
    "consent": {"id": "Persetujuan menyimpan minat dan daerah", "en": "Consent to keep your interests and region"},
    "consent_yes": {"id": "Anda setuju", "en": "you agreed"},
    "consent_no": {"id": "Anda tidak setuju", "en": "you declined"},
    "consent_unknown": {"id": "belum diberikan", "en": "not given"},
    "reminders": {"id": "Pengingat pemilu", "en": "Election reminders"},
    "reminders_on": {"id": "aktif untuk {topics} (ketik STOP untuk berhenti)",
                     "en": "on for {topics} (type STOP to stop)"},
    "reminders_none": {"id": "tidak berlangganan (ketik \"pengingat\" untuk memilih)",
                       "en": "not subscribed (type \"reminders\" to choose)"},
    "reminders_off": {"id": "berhenti (ketik MULAI untuk kembali)", "en": "stopped (type MULAI to resume)"},
    "topic_voting_day": {"id": "hari pemungutan suara", "en": "voting day"},
    "topic_dpt": {"id": "batas DPT", "en": "voter list dates"},
    "topic_all": {"id": "semua pengingat", "en": "all reminders"},
    "signals": {"id": "Yang kami catat dari percakapan", "en": "What we noted from our conversation"},
    "signals_none": {"id": "tidak ada", "en": "nothing"},
    "messages": {"id": "Pesan tersimpan (NIK dan nomor telepon disamarkan)",
                 "en": "Stored messages (NIKs and phone numbers masked)"},
    "footer": {"id": "Ketik HAPUS DATA untuk menghapus semuanya, atau \"manusia\" untuk bicara dengan petugas.",
               "en": "Type HAPUS DATA to erase all of it, or \"manusia\" to talk to a person."},
    "source": {"id": "Datang dari tautan", "en": "Came from the link"},
    "other_language": {"id": "Anda juga menulis dalam bahasa", "en": "You also wrote in"},
    "language_jv": {"id": "Jawa", "en": "Javanese"},
    "language_su": {"id": "Sunda", "en": "Sundanese"},
    "language_other": {"id": "lainnya", "en": "another language"},
    "confirm": {"id": "Hapus semua pesan, minat, dan data lain tentang Anda? Data yang dihapus tidak bisa "
                      "dikembalikan. Tekan tombol atau ketik YA untuk menghapus.",
                "en": "Erase all your messages, interests and other data? Erased data cannot be recovered. "
                      "Press the button or type YA to erase."},
    "confirm_yes": {"id": "Ya, hapus", "en": "Yes, erase"},
    "confirm_no": {"id": "Batal", "en": "Cancel"},
    "erased": {"id": "Data Anda sudah dihapus. Bila Anda mengirim pesan lagi, percakapan dimulai dari awal.",
               "en": "Your data has been erased. If you message again, the conversation starts fresh."},
    "cancelled": {"id": "Baik, data Anda tidak dihapus.", "en": "All right, your data was not erased."},
    "expired": {"id": "Permintaan hapus data sudah kedaluwarsa. Ketik HAPUS DATA lagi bila masih ingin menghapus.",
                "en": "The erase request has expired. Type HAPUS DATA again if you still want to erase."},
}


def _t(key: str, language: str) -> str:
    texts = _TEXTS[key]
    return texts.get(language, texts["id"])


def confirmation_buttons(language: str) -> tuple[Button, ...]:
    return (
        Button(_t("confirm_yes", language), PAYLOAD_ERASE_YES),
        Button(_t("confirm_no", language), PAYLOAD_ERASE_NO),
    )


def confirmation_text(language: str) -> str:
    return _t("confirm", language)


def text(key: str, language: str) -> str:
    """One of this module's bilingual texts ("erased", "cancelled", "expired")."""
    return _t(key, language)


@dataclass(frozen=True)
class DataSummary:
    """Everything /datasaya reports, as plain values read from storage."""

    language: str
    region: str | None
    timezone: str
    consent: bool | None
    opted_out: bool
    signals: tuple[tuple[str, str], ...]
    messages: int
    subscriptions: tuple[str, ...] = ()  # reminder topics as stored, in the order subscribed


def describe_data(summary: DataSummary, language: str) -> str:
    """Everything we keep about a voter, in plain words, in ``language``."""
    consent = {True: "consent_yes", False: "consent_no"}.get(summary.consent, "consent_unknown")  # type: ignore[arg-type]
    noted = list(dict.fromkeys(_signal_words(name, value, language) for name, value in summary.signals))
    lines = [
        _t("header", language),
        f"• {_t('language', language)}: {_t('language_' + summary.language, language)}",
        f"• {_t('region', language)}: {_region_words(summary.region) or _t('none', language)}",
        f"• {_t('timezone', language)}: {summary.timezone}",
        f"• {_t('consent', language)}: {_t(consent, language)}",
        f"• {_t('reminders', language)}: {_reminders_words(summary, language)}",
        f"• {_t('signals', language)}: {'; '.join(noted) or _t('signals_none', language)}",
        f"• {_t('messages', language)}: {summary.messages}",
        "",
        _t("footer", language),
    ]
    return "\n".join(lines)


def _reminders_words(summary: DataSummary, language: str) -> str:
    """Reminders exactly as stored: stopped, each subscribed topic, or none at all."""
    if summary.opted_out:
        return _t("reminders_off", language)
    if not summary.subscriptions:
        return _t("reminders_none", language)
    topics = [_TEXTS.get(f"topic_{topic}", {}).get(language, topic) for topic in summary.subscriptions]
    return _t("reminders_on", language).format(topics=", ".join(dict.fromkeys(topics)))


def _signal_words(name: str, value: str, language: str) -> str:
    if name == "region":
        return f"{_t('region', language)}: {_region_words(value)}"
    if name == "source":
        return f"{_t('source', language)} \"{value}\""
    if name == "language":
        return f"{_t('other_language', language)}: {_t('language_' + value, language)}"
    return describe(name, value, "en" if language == "en" else "id")


def _region_words(value: str | None) -> str:
    """"64.02" → "Kabupaten Kutai Kartanegara, Kalimantan Timur"; "32.16|32.75" → both, with "atau"."""
    if not value:
        return ""
    regions = [r for r in map(region_by_code, value.split("|")) if r is not None]
    return " / ".join(
        r.name if r.level == 1 else f"{r.name}, {r.province}" for r in regions
    ) or value

