"""The built-in messages of the welcome, menu, consent and fallback, Indonesian first."""

from __future__ import annotations

from nlu import Language

CONSENT_VERSION = "2026-11-v1"

TEXTS: dict[str, dict[Language, str]] = {
    "welcome": {
        "id": "Halo! Saya Suara, asisten informasi pemilu. Tanyakan apa saja tentang cara memilih, "
        "TPS, atau DPT. Pilih topik di bawah atau ketik pertanyaan Anda.",
        "en": "Hello! I'm Suara, an election information assistant. Ask me anything about how to vote, "
        "polling stations or the voter list. Pick a topic below or type your question.",
    },
    "welcome_back": {
        "id": "Selamat datang kembali! Ada yang bisa saya bantu?",
        "en": "Welcome back! How can I help?",
    },
    "consent": {
        "id": "Bolehkah kami menyimpan topik yang Anda minati dan daerah Anda, agar pengingat pemilu "
        "sesuai untuk Anda? Kami tidak pernah meminta NIK. Anda bisa melihat data Anda, menghapusnya, "
        "atau berhenti kapan saja dengan mengetik STOP.",
        "en": "May we keep the topics you care about and your region, so election reminders fit you? "
        "We never ask for your NIK. You can see or erase your data, or stop at any time by typing STOP.",
    },
    "consent_given": {
        "id": "Terima kasih, persetujuan Anda tercatat. Ketik STOP kapan saja untuk berhenti.",
        "en": "Thank you, your consent is recorded. Type STOP at any time to stop.",
    },
    "consent_refused": {
        "id": "Baik, kami tidak akan menyimpan minat Anda. Anda tetap bisa bertanya kapan saja.",
        "en": "All right, we won't keep your interests. You can still ask questions at any time.",
    },
    "menu": {
        "id": "Menu bantuan: pilih topik, atau ketik pertanyaan Anda sendiri.",
        "en": "Help menu: pick a topic, or type your own question.",
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
    "handover": {
        "id": "Baik, pesan Anda sudah diteruskan ke petugas. Mohon tunggu balasan dari kami.",
        "en": "All right, a staff member has been asked to reply. Please wait for their answer.",
    },
    "thanks": {
        "id": "Sama-sama! Ada lagi yang ingin ditanyakan?",
        "en": "You're welcome! Anything else?",
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
}

BUTTONS: dict[str, dict[Language, str]] = {
    "how_to_vote": {"id": "Cara mencoblos", "en": "How to vote"},
    "hours": {"id": "Jam buka TPS", "en": "Polling hours"},
    "check_dpt": {"id": "Cek DPT", "en": "Am I registered?"},
    "menu": {"id": "Menu bantuan", "en": "Help menu"},
    "human": {"id": "Bicara dengan petugas", "en": "Talk to a person"},
    "consent_yes": {"id": "Setuju", "en": "I agree"},
    "consent_no": {"id": "Tidak setuju", "en": "No, thanks"},
}


def text(key: str, language: Language) -> str:
    return TEXTS[key][language]


def label(key: str, language: Language) -> str:
    return BUTTONS[key][language]
