"""The engine's own messages (outside any flow), Indonesian first.

Everything a staff member may want to change lives in the flows (``flows/library``); these
are the few texts the engine needs when no flow applies or a flow cannot go on.
"""

from __future__ import annotations

from nlu import Language

CONSENT_VERSION = "2026-11-v1"

TEXTS: dict[str, dict[Language, str]] = {
    "welcome_back": {
        "id": "Selamat datang kembali! Ada yang bisa saya bantu?",
        "en": "Welcome back! How can I help?",
    },
    "menu": {
        "id": "Menu bantuan: ketik pertanyaan Anda, atau minta bicara dengan petugas.",
        "en": "Help menu: type your question, or ask to talk to a person.",
    },
    "fallback": {
        "id": "Maaf, saya belum tahu jawabannya. Pertanyaan Anda sudah kami catat untuk petugas. "
        "Mau bicara dengan petugas?",
        "en": "Sorry, I don't know the answer yet. We've noted your question for our staff. "
        "Would you like to talk to a person?",
    },
    "clarify": {
        "id": "Maksud Anda yang mana?",
        "en": "Which of these did you mean?",
    },
    "empty": {
        "id": "Pesan Anda kosong. Silakan ketik pertanyaan Anda, misalnya: \"Jam berapa TPS buka?\"",
        "en": "Your message was empty. Please type your question, for example: \"What time do polls open?\"",
    },
    "too_long": {
        "id": "Pesan Anda terlalu panjang, jadi hanya 4.096 karakter pertama yang kami baca.",
        "en": "Your message was too long, so we only read the first 4,096 characters.",
    },
    "opted_out": {
        "id": "Anda telah berhenti berlangganan. Kami tidak akan mengirim pesan lagi. Ketik MULAI untuk kembali.",
        "en": "You have unsubscribed. We won't send you any more messages. Type MULAI to come back.",
    },
    "unsupported": {
        "id": "Maaf, saya hanya bisa membaca pesan teks dan tombol.",
        "en": "Sorry, I can only read text messages and buttons.",
    },
    "invalid": {
        "id": "Maaf, jawaban itu belum bisa saya pahami.",
        "en": "Sorry, I couldn't understand that answer.",
    },
    "too_many_tries": {
        "id": "Sepertinya kita belum menemukan jawabannya. Kita berhenti di sini dulu; ketik menu untuk "
        "memulai lagi, atau ketik pertanyaan Anda.",
        "en": "It seems we couldn't get there. Let's stop here for now; type menu to start again, or type "
        "your question.",
    },
    "cancelled": {
        "id": "Baik, dibatalkan. Ketik menu untuk melihat pilihan lain.",
        "en": "All right, cancelled. Type menu to see other options.",
    },
    "nothing_to_cancel": {
        "id": "Tidak ada yang sedang berjalan. Ketik menu untuk melihat pilihan.",
        "en": "Nothing is in progress. Type menu to see the options.",
    },
    "flow_gone": {
        "id": "Maaf, percakapan ini tidak bisa dilanjutkan. Ketik menu untuk memulai lagi.",
        "en": "Sorry, this conversation can't continue. Type menu to start again.",
    },
    "location_outside_flow": {
        "id": "Terima kasih sudah berbagi lokasi. Untuk mencari TPS terdekat, ketik \"cari TPS\" lalu "
        "kirim lokasi Anda.",
        "en": "Thanks for sharing your location. To find the nearest polling station, type \"find my TPS\" "
        "and then send your location.",
    },
}

BUTTONS: dict[str, dict[Language, str]] = {
    "menu": {"id": "Menu bantuan", "en": "Help menu"},
    "human": {"id": "Bicara dengan petugas", "en": "Talk to a person"},
}


def text(key: str, language: Language) -> str:
    return TEXTS[key][language]


def label(key: str, language: Language) -> str:
    return BUTTONS[key][language]
