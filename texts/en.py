"""English texts (the second language). Same keys as th.py."""

TEXTS: dict[str, str] = {
    "welcome": (
        "Hello{name}, welcome to Rongtook 🙏\n"
        "Report city problems to your district office here: damaged roads, broken lights, rubbish, "
        "drains, flooding.\nDescribe the problem, send photos or send the location."
    ),
    "welcome_name": " {name}",  # how the welcome names the user
    "help": (
        "How to use\n"
        "• Type “report” (or just send a photo, a location or a description) to report a problem\n"
        "• Type “track” to see the status of your reports\n"
        "• Type a tracking code such as 69-K7M2QX to see that report\n"
        "• Type “cancel” to drop the report you are writing"
    ),
    "you_are_welcome": "You are welcome 🙏 Report anything, any time.",
    "ask_description": "Please describe the problem, e.g. “3 street lights out in front of Soi 5”.",
    "ask_photos": "Send up to 4 photos of the problem. No photo? Tap “No photo”.",
    "ask_more_photos": "You can send {left} more, or tap “Done”.",
    "photo_added": "Photo received ({count}/4).",
    "photos_full": "You already have 4 photos, so this one was not added.",
    "ask_location": (
        "Please send the location of the problem with “Send location” below.\n"
        "Cannot share it? Type the district's name or tap “Pick district”."
    ),
    "location_in_district": "This location is in the {district} district office's area.",
    "location_outside": (
        "Sorry, this location is outside Bangkok; the service covers Bangkok only.\n"
        "Send another location, pick a district, or cancel."
    ),
    "location_invalid": "Sorry, this location is not valid. Please send it again.",
    "location_no_routing": (
        "Location received, but the district cannot be found from it yet. Please pick one."
    ),
    "ask_district": "Please type the district's name or pick it from the list.",
    "district_unknown": "No district called “{name}”. Please type it again or pick from the list.",
    "district_ambiguous": "Several districts match “{name}”. Please pick one.",
    "district_chosen": "{district} district office chosen.",
    "ask_category": "What kind of problem is it? Pick one of the buttons below.",
    "category_unknown": "There is no category “{name}”. Please pick one of the buttons below.",
    "detail_added": "Added to the description.",
    "ask_edit": "What would you like to change?",
    "photos_cleared": "The earlier photos were removed.",
    "duplicates_found": (
        "Within 50 m there are open reports of the same kind:\n{items}\n"
        "It may be the same problem, but you can still send yours; officers will check."
    ),
    "duplicate_item": "• {code} ({status}, {metres} m away)",
    "summary_title": "Please check before sending",
    "summary_alt": "Your report: {description} (open LINE to confirm)",
    "label_problem": "Problem",
    "label_category": "Category",
    "label_district": "Goes to",
    "label_location": "Location",
    "label_photos": "Photos",
    "photos_count": "{count} photo(s)",
    "no_photos": "none",
    "location_pinned": "pinned",
    "location_not_pinned": "not pinned (district picked)",
    "district_office": "{district} district office",
    "summary_duplicate_note": "May duplicate a nearby report",
    "filed": (
        "Your report was sent ✅\n"
        "Tracking code: {code}\n"
        "Sent to: {district} district office ({section})\n"
        "The office must acknowledge it by {ack_due}\n"
        "Type the code or “track” to see its status at any time."
    ),
    "already_filed": "This report was already sent: tracking code {code}.",
    "cancelled": "The report you were writing was cancelled. Nothing was sent.",
    "nothing_to_cancel": "You are not writing a report at the moment.",
    "draft_expired": (
        "Your unfinished report had no answer for 30 minutes, so it was cancelled. Nothing was sent.\n"
        "You can start again at any time."
    ),
    "draft_in_progress": "You are writing a report. Carry on, or type “cancel” to start again.",
    "sticker": "Thanks for the sticker 😊 but a sticker cannot replace a message.",
    "unsupported_message": (
        "Sorry, only text, photos and locations can be received (no video, audio or files)."
    ),
    "text_too_long": "The message is longer than 5,000 characters. Please shorten it and send it again.",
    "text_no_words": "Please describe the problem in words (emoji alone cannot be read).",
    "description_full": "The description is already 5,000 characters long, so this was not added.",
    "photo_too_large": "Sorry, the photo is larger than 10 MB. Please send a smaller one.",
    "photo_not_image": "Sorry, this file is not a photo that can be opened. Please send a JPEG or PNG photo.",
    "photo_unavailable": "Sorry, the photo could not be downloaded. Please send it again.",
    "stale_button": "This button belongs to an earlier message and no longer works.",
    "changed_since_card": (
        "Your report changed after that summary. Please check the latest one and confirm again."
    ),
    "refused_button": "Sorry, this button cannot be used.",
    "handler_failed": "Sorry, something went wrong and this message was not recorded. Please send it again.",
    "not_now": "That cannot be used right now.",
    "track_none": "You have no reports yet. Type “report” to start one.",
    "track_header": "Your reports, newest first ({shown} of {total}):",
    "track_item": "{n}. {code} · {category} · {district}\n    {status}{next}",
    "track_footer": "Type a tracking code, or tap one below, to see the details.",
    "next_ack": "\n    To be acknowledged by {date}",
    "next_first_progress": "\n    First progress report due by {date}",
    "next_checkpoint": "\n    Next progress report due by {date}",
    "code_not_found": "No report with code {code} among yours.",
    "code_detail": (
        "Report {code}\nCategory: {category}\nSent to: {district} district office\n"
        "Status: {status}{next}\n\nHistory:\n{history}"
    ),
    "history_item": "• {when} {what}",
    "status_routed": "sent to the district, awaiting acknowledgement",
    "status_acknowledged": "acknowledged by the district",
    "status_in_progress": "in progress",
    "status_resolved": "resolved",
    "status_rejected": "not accepted by the district",
    "event_filed": "you reported it",
    "event_routed": "sent to the {district} district office",
    "event_acknowledged": "acknowledged",
    "event_progress": "progress",
    "event_transferred": "transferred",
    "event_resolved": "resolved",
    "event_rejected": "not accepted",
    "event_reopened": "reopened",
    "event_other": "other",
    "time_suffix": "{hhmm}",
    "qr_report": "Report",
    "qr_track": "Track",
    "qr_cancel": "Cancel",
    "qr_send_location": "Send location",
    "qr_new_location": "Another location",
    "qr_pick_district": "Pick district",
    "qr_camera": "Camera",
    "qr_camera_roll": "Photo",
    "qr_no_photos": "No photo",
    "qr_photos_done": "Done",
    "qr_confirm": "Send report",
    "qr_edit": "Edit",
    "qr_edit_description": "Description",
    "qr_edit_photos": "Photos",
    "qr_edit_location": "Location",
    "qr_edit_category": "Category",
    "qr_back_to_summary": "Back to summary",
    # --- officers (LINE)
    "link_ok": "This LINE account is now linked to officer {name}, {district} district office.\nNew complaints of the district come here; type “work” to see open ones.",
    "link_wrong": "This code cannot be used. Officers: please ask the administrator for a new code.",
    "link_paused": "Too many wrong codes. Please wait a while and try again.",
    "link_already": "This LINE account is already linked to officer {name}.",
    "officer_inactive": "This officer account is deactivated, so nothing was done. Please contact the administrator.",
    "officer_help": "Officer menu\n• “work”: the district's open complaints, overdue first\n• a tracking code such as 69-K7M2QX: see it and act on it\n• “cancel”: drop the action you started",
    "new_complaint_title": "New complaint {code}",
    "card_due": "Acknowledge by {date}",
    "card_first_progress_due": "First progress report by {date}",
    "card_possible_duplicate": "May duplicate {codes}",
    "card_alt": "Complaint {code}: {description}",
    "card_map": "Map",
    "card_status": "Status: {status}",
    "acknowledged_ok": "{code} acknowledged. First progress report due by {date}.",
    "ask_progress_text": "Type the progress on {code} (the complainant will see it).",
    "ask_progress_photos": "Attach up to 4 photos, then tap “Send” (or just tap “Send”).",
    "progress_ok": "Progress on {code} recorded and the complainant told.",
    "ask_result_text": "Type the result for {code} (the complainant will see it).",
    "ask_after_photos": "Send at least 1 “after” photo (up to 4), then tap “Send”.",
    "after_photo_required": "At least one “after” photo is required.",
    "resolved_ok": "{code} recorded as resolved and the complainant told.",
    "ask_transfer_target": "Transfer {code} where? Pick or type a district, or tap “Back to centre”.",
    "ask_transfer_reason": "Type the reason for the transfer.",
    "transferred_ok": "{code} transferred to {target}.",
    "to_centre": "the complaint centre",
    "ask_reject_kind": "Why is {code} not accepted?",
    "ask_reject_reason": "Type the reason (the complainant will see it).",
    "ask_duplicate_code": "Type the code of the complaint it duplicates, e.g. 69-K7M2QX.",
    "duplicate_not_found": "No complaint {code}. Please type it again.",
    "rejected_ok": "{code} recorded as not accepted and the complainant told.",
    "action_cancelled": "The action you started was cancelled.",
    "action_replaced": "The earlier action (on {code}) was cancelled.",
    "refused_not_your_district": "This complaint is no longer your district's, so nothing was done.",
    "refused_status": "Not possible: {code} is now “{status}”.",
    "refused_same_district": "The complaint is already with this district. Please pick another.",
    "refused_text_too_long": "The text is longer than 5,000 characters.",
    "refused_duplicate_of_itself": "A complaint cannot duplicate itself. Please type the other complaint's code.",
    "refused_other": "Not possible ({reason}).",
    "worklist_none": "No open complaints in {district} 🎉",
    "worklist_header": "{count} open complaints in {district}, overdue first:",
    "worklist_item": "{n}. {code} · {category} · {status}\n    {due}{late}",
    "worklist_late": " ⚠ overdue",
    "worklist_more": "…and {count} more",
    "due_ack": "acknowledge by {date}",
    "due_first_progress": "first report by {date}",
    "due_checkpoint": "next report by {date}",
    "detail_header": "Complaint {code} ({status})\nCategory: {category}\nFiled: {filed}\n\n{description}",
    "notice_acknowledged": "The {district} district office acknowledged {code}. It will report progress by {date}.",
    "notice_progress": "Progress on {code} from the {district} district office:\n{text}",
    "notice_transferred": "{code} was transferred to {target}.\nReason: {reason}",
    "notice_resolved": "The {district} district office resolved {code}:\n{text}",
    "notice_rejected": "The {district} district office did not accept {code}.\nReason: {reason}",
    "notice_photos_omitted": "({count} photo(s) are kept by the district office.)",
    "ask_rating": "How satisfied are you with the handling of {code}? Rate 1–5 stars, or tap “Not fixed”.",
    "rating_thanks": "Thank you for rating it {stars} stars 🙏",
    "ask_reopen_comment": "Sorry. Please type what is still wrong; it goes back to the district office.",
    "reopened": "{code} was sent back to the {district} district office.",
    "cannot_rate": "This complaint can no longer be rated or reopened.",
    "officer_reopened": "The complainant says {code} is not fixed (time {count}):\n{comment}",
    "reject_not_complaint": "Not a complaint",
    "reject_duplicate": "Duplicate",
    "qr_acknowledge": "Acknowledge",
    "qr_transfer": "Transfer",
    "qr_details": "Details",
    "qr_progress": "Report progress",
    "qr_resolve": "Resolved",
    "qr_reject": "Not accepted",
    "qr_send": "Send",
    "qr_to_centre": "Back to centre",
    "qr_worklist": "Work",
    "qr_not_fixed": "Not fixed",
    "qr_stars": "{stars} stars",
}

KEYWORDS: dict[str, tuple[str, ...]] = {
    "worklist": ("work", "worklist"),
    "thanks": ("thanks", "thankyou", "ok"),
    "start": ("report", "newreport"),
    "cancel": ("cancel",),
    "track": ("track", "status", "myreports"),
    "help": ("help", "menu", "hi", "hello"),
    "photos_done": ("nophoto", "done", "skip"),
    "confirm": ("confirm", "sendreport", "send"),
    "edit": ("edit",),
    "pick_district": ("pickdistrict",),
}


# ---- the reminder pushes to district officers (say("reminder.<key>")) -----------------------------
REMINDERS: dict[str, str] = {}


# ---- the staff web (say("admin.<key>")) ----------------------------------------------------------
ADMIN: dict[str, str] = {}


# ---- the KPI scorer's reasons and the reports' words (say("kpi.<key>")) ---------------------------
KPI: dict[str, str] = {}
