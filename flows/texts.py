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
    "small_talk_thanks": {
        "id": "Sama-sama! Ada lagi yang ingin ditanyakan soal pemilu?",
        "en": "You're welcome! Anything else about the election?",
    },
    "small_talk_greet": {
        "id": "Halo! Ada yang bisa saya bantu soal pemilu?",
        "en": "Hello! How can I help with the election?",
    },
    "small_talk_bye": {
        "id": "Sampai jumpa! Jangan lupa datang ke TPS, ya.",
        "en": "Goodbye! Don't forget to go and vote.",
    },
    "small_talk_ack": {
        "id": "Siap! Ketik pertanyaan Anda kapan saja, atau ketik menu.",
        "en": "Got it! Type your question any time, or type menu.",
    },
    "decline_neutral": {
        "id": "Suara netral: kami tidak memberi rekomendasi calon atau partai dan tidak memihak siapa pun. "
        "Pilihan sepenuhnya ada di tangan Anda. Profil resmi calon, partai, visi dan misinya ada di situs KPU: "
        "https://infopemilu.kpu.go.id",
        "en": "Suara is neutral: we don't recommend candidates or parties and take no side. The choice is "
        "entirely yours. Official profiles of candidates and parties, with their programmes, are on the KPU "
        "site: https://infopemilu.kpu.go.id",
    },
    "concern_noted": {
        "id": "Terima kasih sudah bercerita. Keluhan soal {issues} kami catat. Suara tidak bisa menyelesaikannya "
        "sendiri, tetapi catatan ini membantu penyelenggara memahami apa yang penting bagi warga.",
        "en": "Thank you for telling us. We've noted your concern about {issues}. Suara can't fix it itself, "
        "but these notes help the organisers understand what matters to voters.",
    },
    "concern_heard": {
        "id": "Terima kasih sudah bercerita soal {issues}. Kami hanya mencatat keluhan bila Anda setuju.",
        "en": "Thank you for telling us about {issues}. We only note concerns if you agree.",
    },
    "continue_offer": {
        "id": "Lanjut ke \"{flow}\"?",
        "en": "Continue with \"{flow}\"?",
    },
    "left_after_digressions": {
        "id": "Kita tunda dulu \"{flow}\", ya. Tekan tombol di bawah untuk memulainya lagi, atau ketik menu.",
        "en": "Let's leave \"{flow}\" for now. Press the button below to start it again, or type menu.",
    },
    "consent_again": {
        "id": "Maaf, jawaban Anda belum jelas bagi kami. Cukup jawab ya atau tidak:",
        "en": "Sorry, we couldn't tell your answer. Just answer yes or no:",
    },
    "left_flow": {
        "id": "Baik, kita berhenti di situ. Ketik menu untuk pilihan lain, atau ketik pertanyaan Anda.",
        "en": "All right, we'll stop there. Type menu for other options, or type your question.",
    },
}

BUTTONS: dict[str, dict[Language, str]] = {
    "menu": {"id": "Menu bantuan", "en": "Help menu"},
    "human": {"id": "Bicara dengan petugas", "en": "Talk to a person"},
    "continue": {"id": "Lanjut", "en": "Continue"},
    "leave": {"id": "Tidak, terima kasih", "en": "No, thanks"},
}


def text(key: str, language: Language) -> str:
    return TEXTS[key][language]


def label(key: str, language: Language) -> str:
    return BUTTONS[key][language]
