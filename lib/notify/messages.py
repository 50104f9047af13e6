"""Every word of an email, per language: one catalogue each for Indonesian (``id``) and English
(``en``), with the same keys. An email is written in one of them from subject to .ics.

``{session}``, ``{other}``, ``{name}``, ``{minutes}``, ``{customer}``, ``{expert}``, ``{link}``,
``{start}`` (the start's time and zone, ``14:00 WIB``) and ``{id}`` are filled in by
``lib.notify.templates``; everything else is the catalogue's own text.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.config import EMAIL_LANGUAGES
from lib.notify import LINK_PENDING, REMINDER_PREFIX

# Every reminder (``reminder_1440.customer``, ``reminder_60.customer``...) reads like the one
# entry ``reminder.customer`` of its side: the date and time say when, whatever the offset.
REMINDER = REMINDER_PREFIX.rstrip("_")

# The languages an email can be written in, and the Babel locale of its dates and numbers.
# English emails keep Indonesian number conventions (Rp 250.000), as the console does.
LOCALES: dict[str, str] = {"id": "id", "en": "en_ID"}
LANGUAGES: tuple[str, ...] = EMAIL_LANGUAGES  # a setting may name only a language with a catalogue
DEFAULT_LANGUAGE = "id"


@dataclass(frozen=True)
class Kind:
    """The words that differ between kinds of email: subject, heading and first sentence."""

    subject: str
    heading: str
    intro: str


# {other} is the other side's name, so each person reads who they meet.
KINDS: dict[str, dict[str, Kind]] = {
    "en": {
        "confirmed.customer": Kind("Booking confirmed: {session} with {other}", "Your session is confirmed",
                                   "Your {session} with {other} is booked and paid."),
        "confirmed.expert": Kind("New booking: {session} with {other}", "You have a new session",
                                 "{other} booked a {session} with you."),
        "rescheduled.customer": Kind("Rescheduled: {session} with {other}", "Your session has a new time",
                                     "Your {session} with {other} moved to a new time. "
                                     "The meeting link stays the same."),
        "rescheduled.expert": Kind("Rescheduled: {session} with {other}", "A session has a new time",
                                   "Your {session} with {other} moved to a new time. "
                                   "The meeting link stays the same."),
        "cancelled.customer": Kind("Cancelled: {session} with {other}", "Your session is cancelled",
                                   "Your {session} with {other} has been cancelled."),
        "cancelled.expert": Kind("Cancelled: {session} with {other}", "A session is cancelled",
                                 "The {session} with {other} has been cancelled."),
        LINK_PENDING: Kind("Payment received: {session} with {other}, link coming soon",
                           "Your meeting link is on its way",
                           "We received your payment for the {session} with {other}. The meeting link is still "
                           "being prepared; we will email it to you as soon as it is ready."),
        f"{REMINDER}.customer": Kind("Reminder: {session} with {other} at {start}", "Your session is coming up",
                                     "This is a reminder of your {session} with {other}. Join with the button "
                                     "below when it is time."),
        f"{REMINDER}.expert": Kind("Reminder: {session} with {other} at {start}", "A session is coming up",
                                   "This is a reminder of your {session} with {other}. Join with the button "
                                   "below when it is time."),
    },
    "id": {
        "confirmed.customer": Kind("Pemesanan terkonfirmasi: {session} dengan {other}", "Sesi Anda sudah terkonfirmasi",
                                   "{session} Anda dengan {other} sudah dipesan dan dibayar."),
        "confirmed.expert": Kind("Pemesanan baru: {session} dengan {other}", "Anda mendapat sesi baru",
                                 "{other} memesan {session} dengan Anda."),
        "rescheduled.customer": Kind("Jadwal diubah: {session} dengan {other}", "Sesi Anda pindah waktu",
                                     "{session} Anda dengan {other} pindah ke waktu baru. "
                                     "Tautan rapatnya tetap sama."),
        "rescheduled.expert": Kind("Jadwal diubah: {session} dengan {other}", "Sebuah sesi pindah waktu",
                                   "{session} Anda dengan {other} pindah ke waktu baru. "
                                   "Tautan rapatnya tetap sama."),
        "cancelled.customer": Kind("Dibatalkan: {session} dengan {other}", "Sesi Anda dibatalkan",
                                   "{session} Anda dengan {other} telah dibatalkan."),
        "cancelled.expert": Kind("Dibatalkan: {session} dengan {other}", "Sebuah sesi dibatalkan",
                                 "{session} dengan {other} telah dibatalkan."),
        LINK_PENDING: Kind("Pembayaran diterima: {session} dengan {other}, tautan segera menyusul",
                           "Tautan rapat Anda sedang disiapkan",
                           "Pembayaran Anda untuk {session} dengan {other} sudah kami terima. Tautan rapatnya "
                           "masih disiapkan; kami akan mengirimkannya lewat email begitu siap."),
        f"{REMINDER}.customer": Kind("Pengingat: {session} dengan {other} pukul {start}", "Sesi Anda segera dimulai",
                                     "Ini pengingat untuk {session} Anda dengan {other}. Gabung lewat tombol "
                                     "di bawah saat waktunya tiba."),
        f"{REMINDER}.expert": Kind("Pengingat: {session} dengan {other} pukul {start}", "Sebuah sesi segera dimulai",
                                   "Ini pengingat untuk {session} Anda dengan {other}. Gabung lewat tombol "
                                   "di bawah saat waktunya tiba."),
    },
}

# The words every kind shares: greeting, labels, the button, the closing lines, the .ics text.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hello {name},",
        "session": "Session",
        "expert": "Expert",
        "customer": "Customer",
        "when": "When",
        "duration": "Duration",
        "minutes": "{minutes} minutes",
        "price": "Price",
        "booking": "Booking",
        "join": "Join",
        "join_button": "Join meeting",
        "link_pending": "The meeting link is still being prepared; we will email it as soon as it is ready.",
        "change_title": "To reschedule or cancel:",
        "change_customer": "reply to this email with the booking code above and the time you would prefer "
                           "(or that you want to cancel). The CallExpert team will confirm by email; a new time "
                           "keeps the same meeting link.",
        "change_expert": "reply to this email with the booking code above and the reason. The CallExpert team "
                         "will arrange it with {other} and confirm to you both by email; a new time keeps the "
                         "same meeting link.",
        "change_self": "use the links below, within the rules they show. A new time keeps the same meeting "
                       "link.",
        "reschedule_link": "Reschedule",
        "cancel_link": "Cancel",
        "again_customer": "Want another session? Reply to this email and we will help you book a new time.",
        "again_expert": "The time is free again; there is nothing you need to do.",
        "ics_summary": "{session} with {other}",
        "ics_who": "{session}: {customer} with {expert}",
        "ics_join": "Join: {link}",
        "ics_booking": "Booking {id}",
        "event_join": "Join with the Google Meet link of this event.",
    },
    "id": {
        "greeting": "Halo {name},",
        "session": "Sesi",
        "expert": "Pakar",
        "customer": "Pelanggan",
        "when": "Waktu",
        "duration": "Durasi",
        "minutes": "{minutes} menit",
        "price": "Harga",
        "booking": "Kode pemesanan",
        "join": "Gabung",
        "join_button": "Gabung ke rapat",
        "link_pending": "Tautan rapat masih disiapkan; kami akan mengirimkannya lewat email begitu siap.",
        "change_title": "Untuk mengubah jadwal atau membatalkan:",
        "change_customer": "balas email ini dengan kode pemesanan di atas dan waktu yang Anda inginkan "
                           "(atau bahwa Anda ingin membatalkan). Tim CallExpert akan mengonfirmasi lewat email; "
                           "waktu baru tetap memakai tautan rapat yang sama.",
        "change_expert": "balas email ini dengan kode pemesanan di atas dan alasannya. Tim CallExpert akan "
                         "mengaturnya dengan {other} dan mengonfirmasi kepada Anda berdua lewat email; waktu baru "
                         "tetap memakai tautan rapat yang sama.",
        "change_self": "gunakan tautan di bawah ini, sesuai aturan yang tertera di sana. Waktu baru tetap "
                       "memakai tautan rapat yang sama.",
        "reschedule_link": "Ubah jadwal",
        "cancel_link": "Batalkan",
        "again_customer": "Ingin sesi lagi? Balas email ini dan kami akan membantu Anda memesan waktu baru.",
        "again_expert": "Waktu itu kini kosong lagi; Anda tidak perlu melakukan apa pun.",
        "ics_summary": "{session} dengan {other}",
        "ics_who": "{session}: {customer} dengan {expert}",
        "ics_join": "Gabung: {link}",
        "ics_booking": "Pemesanan {id}",
        "event_join": "Gabung lewat tautan Google Meet di acara ini.",
    },
}
