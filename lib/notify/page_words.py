"""Every word of the customer's self-service pages (``lib.entrypoints.web_self_service``), per language:
the same languages and keys as the emails' catalogue (``lib.notify.messages``), so a customer
reads the page in the language of the email they came from (the setting ``email_language``).

``{when}``, ``{hours}``, ``{count}``, ``{times}`` (``times_one`` or ``times_many``), ``{amount}``, ``{support}``
are filled in by the pages.
"""

from __future__ import annotations

PAGE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "brand": "CallExpert",
        "reschedule_title": "Reschedule your session",
        "confirm_title": "Confirm the new time",
        "cancel_title": "Cancel your session",
        "rescheduled_title": "Your session has a new time",
        "cancelled_title": "Your session is cancelled",
        "session": "Session",
        "expert": "Expert",
        "when": "When",
        "new_when": "New time",
        "duration": "Duration",
        "minutes": "{minutes} minutes",
        "booking": "Booking",
        "policy_title": "The rules",
        "policy_deadline": "You can reschedule or cancel here until {when} ({hours} hours before the start).",
        "policy_limit": "A booking can be moved here {times}; {left} left for this one.",
        "times_one": "{count} time",
        "times_many": "{count} times",
        "policy_no_moves": "Bookings cannot be moved here; you can still cancel.",
        "refund_paid": "You paid {amount}. If you cancel, the CallExpert team refunds it to you.",
        "no_refund": "Nothing was paid for this booking, so nothing is refunded.",
        "times_in": "Times are in {zone}.",
        "pick": "Pick a new time",
        "no_times": "The expert has no free time in these days.",
        "free_count": "{count} free",
        "every_time": "Every free time of this day",
        "later": "Later times",
        "earlier": "Earlier times",
        "confirm_button": "Confirm new time",
        "back": "Pick another time",
        "reason_label": "Reason (optional)",
        "reason_hint": "The expert and the CallExpert team will read it.",
        "cancel_button": "Cancel my session",
        "reschedule_instead": "Reschedule instead",
        "cancel_instead": "Cancel instead",
        "rescheduled_text": "Your session now starts at {when}. An email is on its way to you and to the expert; "
                            "the meeting link stays the same.",
        "cancelled_text": "Your session is cancelled. An email is on its way to you and to the expert.",
        "your_reason": "Your reason",
        "contact": "Questions? Write to {support}.",
        "contact_reply": "Questions? Reply to your booking email.",
        "why.unknown": "This link is not known. Please use the link in your latest booking email.",
        "why.gone": "This booking can no longer be changed here: it was cancelled, or its session has already "
                    "started or taken place.",
        "why.deadline": "It is less than {hours} hours before the start, so the session can no longer be changed "
                        "here. Please contact us and we will help.",
        "why.limit": "This booking has been moved {times}, which is as often as it can be moved here. "
                     "Please contact us for another change; you can still cancel here.",
        "why.form": "This form did not come from this page, so nothing was changed. Please open the link in "
                    "your email again.",
        "why.changed": "This booking was changed a moment ago (in another tab or window, or by our team), so "
                       "nothing more was changed. Here it is as it stands now.",
        "why.taken": "That time was just booked by someone else; nothing was changed. The nearest free times:",
        "why.taken_none": "That time was just booked by someone else; nothing was changed. Please pick another "
                          "time.",
        "why.not free": "That time is not free by the expert's hours and rules; nothing was changed. The "
                        "nearest free times:",
        "why.bad time": "That time is not one this page offered; nothing was changed. Please pick one below.",
        "why.bad reason": "The reason is too long (at most 400 characters); nothing was changed.",
        "why.busy": "Too many requests for this booking in a short time. Please wait a few minutes and try again.",
        "why.down": "We could not make the change just now; nothing was changed. Please try again in a minute.",
        "not_found_title": "Link not found",
        "closed_title": "This booking cannot be changed here",
        "refused_title": "Nothing was changed",
    },
    "id": {
        "brand": "CallExpert",
        "reschedule_title": "Ubah jadwal sesi Anda",
        "confirm_title": "Konfirmasi waktu baru",
        "cancel_title": "Batalkan sesi Anda",
        "rescheduled_title": "Sesi Anda pindah waktu",
        "cancelled_title": "Sesi Anda dibatalkan",
        "session": "Sesi",
        "expert": "Pakar",
        "when": "Waktu",
        "new_when": "Waktu baru",
        "duration": "Durasi",
        "minutes": "{minutes} menit",
        "booking": "Kode pemesanan",
        "policy_title": "Aturannya",
        "policy_deadline": "Anda dapat mengubah jadwal atau membatalkan di sini hingga {when} ({hours} jam sebelum "
                           "mulai).",
        "policy_limit": "Pemesanan dapat dipindah di sini {times}; sisa {left} untuk pemesanan ini.",
        "times_one": "{count} kali",
        "times_many": "{count} kali",
        "policy_no_moves": "Pemesanan tidak dapat dipindah di sini; Anda tetap dapat membatalkan.",
        "refund_paid": "Anda telah membayar {amount}. Jika Anda membatalkan, tim CallExpert akan "
                       "mengembalikannya kepada Anda.",
        "no_refund": "Belum ada pembayaran untuk pemesanan ini, jadi tidak ada yang dikembalikan.",
        "times_in": "Waktu dalam {zone}.",
        "pick": "Pilih waktu baru",
        "no_times": "Pakar tidak punya waktu kosong pada hari-hari ini.",
        "free_count": "{count} kosong",
        "every_time": "Semua waktu kosong hari ini",
        "later": "Waktu berikutnya",
        "earlier": "Waktu sebelumnya",
        "confirm_button": "Konfirmasi waktu baru",
        "back": "Pilih waktu lain",
        "reason_label": "Alasan (opsional)",
        "reason_hint": "Pakar dan tim CallExpert akan membacanya.",
        "cancel_button": "Batalkan sesi saya",
        "reschedule_instead": "Ubah jadwal saja",
        "cancel_instead": "Batalkan saja",
        "rescheduled_text": "Sesi Anda kini dimulai {when}. Email sedang dikirim kepada Anda dan pakar; tautan "
                            "rapatnya tetap sama.",
        "cancelled_text": "Sesi Anda dibatalkan. Email sedang dikirim kepada Anda dan pakar.",
        "your_reason": "Alasan Anda",
        "contact": "Ada pertanyaan? Tulis ke {support}.",
        "contact_reply": "Ada pertanyaan? Balas email pemesanan Anda.",
        "why.unknown": "Tautan ini tidak dikenal. Gunakan tautan di email pemesanan terakhir Anda.",
        "why.gone": "Pemesanan ini tidak dapat diubah lagi di sini: sudah dibatalkan, atau sesinya sudah dimulai "
                    "atau berlangsung.",
        "why.deadline": "Kurang dari {hours} jam sebelum mulai, jadi sesi tidak dapat diubah lagi di sini. "
                        "Silakan hubungi kami dan kami akan membantu.",
        "why.limit": "Pemesanan ini sudah dipindah {times}, batas yang diizinkan di sini. Hubungi kami "
                     "untuk perubahan lain; Anda tetap dapat membatalkan di sini.",
        "why.form": "Formulir ini tidak berasal dari halaman ini, jadi tidak ada yang diubah. Silakan buka lagi "
                    "tautan di email Anda.",
        "why.changed": "Pemesanan ini baru saja diubah (di tab atau jendela lain, atau oleh tim kami), jadi tidak "
                       "ada perubahan lagi. Inilah keadaannya sekarang.",
        "why.taken": "Waktu itu baru saja dipesan orang lain; tidak ada yang diubah. Waktu kosong terdekat:",
        "why.taken_none": "Waktu itu baru saja dipesan orang lain; tidak ada yang diubah. Silakan pilih waktu "
                          "lain.",
        "why.not free": "Waktu itu tidak kosong menurut jam dan aturan pakar; tidak ada yang diubah. Waktu "
                        "kosong terdekat:",
        "why.bad time": "Waktu itu tidak ditawarkan halaman ini; tidak ada yang diubah. Silakan pilih di bawah.",
        "why.bad reason": "Alasannya terlalu panjang (paling banyak 400 karakter); tidak ada yang diubah.",
        "why.busy": "Terlalu banyak permintaan untuk pemesanan ini dalam waktu singkat. Tunggu beberapa menit "
                    "lalu coba lagi.",
        "why.down": "Perubahan belum dapat dibuat saat ini; tidak ada yang diubah. Coba lagi sebentar lagi.",
        "not_found_title": "Tautan tidak ditemukan",
        "closed_title": "Pemesanan ini tidak dapat diubah di sini",
        "refused_title": "Tidak ada yang diubah",
    },
}
