"""English texts (the second language). Same keys as th.py."""

TEXTS: dict[str, str] = {
    "welcome": (
        "Hello{name}, welcome to Rongtook 🙏\n"
        "Report city problems to your district office here: damaged roads, broken lights, rubbish, "
        "drains, flooding.\nDescribe the problem, send photos and send the location."
    ),
    "welcome_name": " {name}",  # how the welcome names the user
    "text_received": "Message received: “{excerpt}”\nYou can add photos or the location of the problem.",
    "photo_received": "Photo received ({count} so far).",
    "photo_too_large": "Sorry, the photo is larger than 10 MB. Please send a smaller one.",
    "photo_not_image": "Sorry, this file is not a photo that can be opened. Please send a JPEG or PNG photo.",
    "photo_unavailable": "Sorry, the photo could not be downloaded. Please send it again.",
    "location_in_district": "This location is in the {district} district office's area.",
    "location_outside": "Sorry, this location is outside Bangkok. Please send another location.",
    "location_no_routing": (
        "Location received (the district cannot be found from it yet; please type the district)."
    ),
    "unsupported_message": "Sorry, for now only text, photos and locations can be received.",
    "stale_button": "Sorry, this button no longer works. Please type a new message.",
    "qr_send_location": "Send location",
    "qr_camera": "Camera",
    "qr_camera_roll": "Photo",
}
