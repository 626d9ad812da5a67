"""The reminders' words in English and Chinese, and how dates, times and rules are written.

Texts are Markdown (the transport renders them as Telegram HTML); anything a user typed goes
through :func:`md` first so that "*" or "_" in a task never turns into formatting.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.i18n import Catalog

__all__ = [
    "TEXTS",
    "format_clock",
    "format_moment",
    "format_short",
    "md",
    "mention",
]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|~<>&{}=])")

_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def md(text: str) -> str:
    """Escape user text for Markdown, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def mention(user_id: int, name: str) -> str:
    """A Markdown link that Telegram shows as a mention of the user."""
    return f"[{md(name or str(user_id))}](tg://user?id={user_id})"


def format_clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _en_date(moment: datetime, with_year: bool) -> str:
    text = f"{_EN_DAYS[moment.weekday()]} {moment.day} {_EN_MONTHS[moment.month - 1]}"
    return f"{text} {moment.year}" if with_year else text


def _zh_date(moment: datetime, with_year: bool) -> str:
    text = f"{moment.month}月{moment.day}日（{_ZH_DAYS[moment.weekday()]}）"
    return f"{moment.year}年{text}" if with_year else text


def format_moment(moment: datetime, now: datetime, lang: str) -> str:
    """The exact local date and time, with "today"/"tomorrow" when it applies.

    ``moment`` is aware and already in the zone to show; ``now`` is any aware time.
    """
    local_now = now.astimezone(moment.tzinfo)
    days = (moment.date() - local_now.date()).days
    with_year = moment.year != local_now.year
    if lang == "zh":
        relative = {0: "今天 ", 1: "明天 ", 2: "后天 "}.get(days, "")
        return f"{relative}{_zh_date(moment, with_year)}{format_clock(moment)}"
    relative = {0: "today, ", 1: "tomorrow, "}.get(days, "")
    return f"{relative}{_en_date(moment, with_year)} at {format_clock(moment)}"


def format_short(moment: datetime, now: datetime, lang: str) -> str:
    """Only the time on the same day, else the date and the time (for "late" marks)."""
    local_now = now.astimezone(moment.tzinfo)
    if moment.date() == local_now.date():
        return format_clock(moment)
    with_year = moment.year != local_now.year
    if lang == "zh":
        return f"{_zh_date(moment, with_year)}{format_clock(moment)}"
    return f"{_en_date(moment, with_year)} {format_clock(moment)}"


# --------------------------------------------------------------------------- the catalogue

_EXAMPLES_EN = (
    "• `/remind tomorrow at 3pm call mom`\n"
    "• `/remind in 20 minutes take the pizza out`\n"
    "• `/remind every other Monday at 9am water the plants`\n"
    "• `/remind Friday 18:00 book the restaurant`\n"
    "• `/remind 每个工作日8点半查邮件`"
)
_EXAMPLES_ZH = (
    "• `/remind 明天下午三点给妈妈打电话`\n"
    "• `/remind 20分钟后把披萨拿出来`\n"
    "• `/remind 每个工作日8点半查邮件`\n"
    "• `/remind 下周五晚上6点订餐厅`\n"
    "• `/remind every other Monday at 9am water the plants`"
)

TEXTS = Catalog(
    {
        # -- creating --------------------------------------------------------------------------
        "created": {
            "en": "✅ I'll remind you: **{task}**\n🗓 {when}",
            "zh": "✅ 好的，我会提醒你：**{task}**\n🗓 {when}",
        },
        "created_group": {
            "en": "✅ Group reminder from {who}: **{task}**\n🗓 {when}",
            "zh": "✅ {who} 设置了群提醒：**{task}**\n🗓 {when}",
        },
        "updated": {
            "en": "✏️ Updated: **{task}**\n🗓 {when}",
            "zh": "✏️ 已更新：**{task}**\n🗓 {when}",
        },
        "rule_line": {"en": "\n🔁 {rule}", "zh": "\n🔁 {rule}"},
        "zone_line": {"en": " ({zone})", "zh": "（{zone}）"},
        "zone_hint": {
            "en": "\n_Times are in {zone}. Tell me yours with /timezone (e.g. /timezone Berlin)._",
            "zh": "\n_时间按 {zone} 计算。用 /timezone 设置你的时区（例如 /timezone 上海）。_",
        },
        "note_ampm": {
            "en": "\nI read the time as {time}.",
            "zh": "\n我把时间理解为 {time}。",
        },
        "note_zone": {
            "en": "\n🌐 {stated} {zone} = {local} your time",
            "zh": "\n🌐 {zone} {stated} = 你的时间 {local}",
        },
        "note_next": {
            "en": "\nI took that as the week after this one.",
            "zh": "\n我理解为下一周的那一天。",
        },
        "note_day_only": {
            "en": "\nNo time was given, so I picked {time} (change the default in /settings).",
            "zh": "\n没有说具体时间，所以定在 {time}（可在 /settings 修改默认时间）。",
        },
        "note_multi": {
            "en": "\nYou gave several times; I used the first one.",
            "zh": "\n你给了好几个时间，我用了第一个。",
        },
        "note_rolled": {
            "en": "\nThat time has passed for now, so I took the next one.",
            "zh": "\n这个时间已经过了，所以定在下一次。",
        },
        "button_undo": {"en": "↩️ Undo", "zh": "↩️ 撤销"},
        "button_meant": {"en": "Meant {when}?", "zh": "是指 {when}？"},
        "default_task": {"en": "Reminder", "zh": "提醒"},
        "past": {
            "en": "⌛ {when} has already passed. Did you mean {alternative}?",
            "zh": "⌛ {when} 已经过去了。你是指 {alternative} 吗？",
        },
        "past_no_alternative": {
            "en": "⌛ {when} is in the past, so I did not set a reminder. "
            "Send it again with a time that is still ahead.",
            "zh": "⌛ {when} 已经过去了，所以我没有设置提醒。请换一个还没到的时间再发一次。",
        },
        "button_yes_at": {"en": "✅ {when}", "zh": "✅ {when}"},
        # -- questions before anything is set --------------------------------------------------
        "ask_unparsed": {
            "en": "🤔 I want to get this right. For **{task}** I understood {when}, "
            "but not “{rest}”.",
            "zh": "🤔 我想确认一下：**{task}**，我理解的是 {when}，但没看懂“{rest}”。",
        },
        "ask_unsure": {
            "en": "🤔 I want to get this right. For **{task}** I understood {when}, "
            "but I'm not sure that is what you meant.",
            "zh": "🤔 我想确认一下：**{task}**，我理解的是 {when}，但不确定是不是你的意思。",
        },
        "ask_anchor": {
            "en": "🤔 What time do you mean for **{task}**?",
            "zh": "🤔 **{task}**，具体几点提醒你？",
        },
        "ask_date_order": {
            "en": "🤔 Which date do you mean for **{task}**? That date can be read both ways.",
            "zh": "🤔 **{task}** 是哪一天？这个日期有两种读法。",
        },
        "ask_multi": {
            "en": "🤔 You gave several times for **{task}**. Which one, or all of them?",
            "zh": "🤔 **{task}** 你给了好几个时间。要哪一个，还是都要？",
        },
        "ask_lunar": {
            "en": "🌙 That is a lunar date: next it falls on {when}. Shall I remind you of "
            "**{task}** then? For every year (a birthday, an anniversary) use /birthday, which "
            "converts the lunar date each year.",
            "zh": "🌙 这是农历日期，下一次是公历 {when}。要在那天提醒你 **{task}** 吗？"
            "如果要每年提醒（生日、纪念日），请用 /birthday，它每年会自动换算农历。",
        },
        "ask_lunar_rule": {
            "en": "🌙 A reminder every year on a lunar date needs converting each year, which "
            "reminders don't do. Use /birthday instead (for example "
            "`/birthday Mom lunar 8/15`): it converts the date every year and reminds you.",
            "zh": "🌙 农历日期每年对应的公历都不同，普通提醒没法每年换算。请用 /birthday"
            "（例如 `/birthday 妈妈 农历八月十五`），它每年会自动换算并提醒你。",
        },
        "ask_rephrase": {
            "en": "\nTap the right one, or send the reminder again in other words.",
            "zh": "\n请点选正确的一项，或者换个说法再发一次。",
        },
        "ask_edit": {
            "en": "🤔 I'm not sure about that time. Send the new time again in other words, "
            "or /cancel.",
            "zh": "🤔 这个时间我不太确定。请换个说法再发一次新时间，或者发送 /cancel。",
        },
        "button_all": {"en": "✅ All {count}", "zh": "✅ 全部 {count} 个"},
        "button_cancel": {"en": "✖️ Cancel", "zh": "✖️ 取消"},
        "cancelled": {"en": "OK, no reminder.", "zh": "好的，不设提醒了。"},
        "unparsed": {
            "en": "🤔 I couldn't find a time in “{text}”. Tell me what and when, for example:\n"
            + _EXAMPLES_EN,
            "zh": "🤔 我没能从“{text}”里找到时间。请告诉我提醒什么、什么时候，例如：\n"
            + _EXAMPLES_ZH,
        },
        "usage": {
            "en": "⏰ Tell me what to remind you of and when, for example:\n" + _EXAMPLES_EN,
            "zh": "⏰ 告诉我要提醒什么、什么时候提醒，例如：\n" + _EXAMPLES_ZH,
        },
        "undone": {"en": "↩️ Undone: no reminder for **{task}**.", "zh": "↩️ 已撤销：**{task}**。"},
        # -- delivery --------------------------------------------------------------------------
        "due": {"en": "⏰ {task}", "zh": "⏰ {task}"},
        "due_group": {"en": "⏰ {who}: {task}", "zh": "⏰ {who}：{task}"},
        "late": {"en": "\n_(late: due {time})_", "zh": "\n_（迟到了：原定 {time}）_"},
        "summary_head": {
            "en": "⏰ While I was away, {count} reminders fell due:",
            "zh": "⏰ 我离线期间，有 {count} 条提醒到期了：",
        },
        "summary_head_one": {
            "en": "⏰ While I was away, a reminder fell due:",
            "zh": "⏰ 我离线期间，有一条提醒到期了：",
        },
        "summary_item": {"en": "• {when}: {task}", "zh": "• {when}：{task}"},
        "summary_more": {"en": "• …and {count} more", "zh": "• ……还有 {count} 条"},
        "summary_next": {"en": " (next: {when})", "zh": "（下次：{when}）"},
        "button_done": {"en": "✅ Done", "zh": "✅ 完成"},
        "button_10m": {"en": "💤 10 min", "zh": "💤 10分钟"},
        "button_1h": {"en": "💤 1 hour", "zh": "💤 1小时"},
        "button_tomorrow": {"en": "💤 Tomorrow", "zh": "💤 明天"},
        "acked_done": {"en": "\n\n✅ Done", "zh": "\n\n✅ 已完成"},
        "acked_done_next": {"en": "\n\n✅ Done. Next: {when}", "zh": "\n\n✅ 已完成。下次：{when}"},
        "acked_snoozed": {"en": "\n\n💤 Snoozed until {when}", "zh": "\n\n💤 已推迟到 {when}"},
        "toast_done": {"en": "Done ✅", "zh": "完成 ✅"},
        "toast_snoozed": {"en": "Snoozed until {when}", "zh": "已推迟到 {when}"},
        # -- the list and managing -------------------------------------------------------------
        "list_head": {
            "en": "⏰ **Your reminders** ({count})",
            "zh": "⏰ **你的提醒**（{count} 条）",
        },
        "list_head_group": {
            "en": "⏰ **This group's reminders** ({count})",
            "zh": "⏰ **本群的提醒**（{count} 条）",
        },
        "list_empty": {
            "en": "You have no upcoming reminders. Create one like this:\n" + _EXAMPLES_EN,
            "zh": "你还没有待办的提醒。可以这样创建：\n" + _EXAMPLES_ZH,
        },
        "list_item": {
            "en": "{index}. **{task}**\n    {when}",
            "zh": "{index}. **{task}**\n    {when}",
        },
        "list_paused": {"en": " ⏸ paused", "zh": " ⏸ 已暂停"},
        "list_page": {"en": "\nPage {page} of {pages}", "zh": "\n第 {page}/{pages} 页"},
        "list_hint": {
            "en": "\nTap one to edit, pause or delete it.",
            "zh": "\n点一条提醒可以修改、暂停或删除。",
        },
        "detail": {"en": "⏰ **{task}**\n🗓 Next: {when}", "zh": "⏰ **{task}**\n🗓 下次：{when}"},
        "detail_paused": {"en": "\n⏸ Paused", "zh": "\n⏸ 已暂停"},
        "detail_by": {"en": "\n👤 Set by {who}", "zh": "\n👤 由 {who} 设置"},
        "button_edit": {"en": "✏️ Edit", "zh": "✏️ 修改"},
        "button_pause": {"en": "⏸ Pause", "zh": "⏸ 暂停"},
        "button_resume": {"en": "▶️ Resume", "zh": "▶️ 恢复"},
        "button_delete": {"en": "🗑 Delete", "zh": "🗑 删除"},
        "button_back": {"en": "« Back", "zh": "« 返回"},
        "button_prev": {"en": "‹ Previous", "zh": "‹ 上一页"},
        "button_next": {"en": "Next ›", "zh": "下一页 ›"},
        "deleted": {"en": "🗑 Deleted: **{task}**", "zh": "🗑 已删除：**{task}**"},
        "paused": {"en": "⏸ Paused: **{task}**", "zh": "⏸ 已暂停：**{task}**"},
        "resume_past": {
            "en": "⌛ Its time has passed. Tap Edit to give it a new time.",
            "zh": "⌛ 它的时间已经过了。点“修改”设置一个新时间。",
        },
        "edit_prompt": {
            "en": "✏️ When should I remind you of **{task}**? Reply with a new time "
            "(e.g. “tomorrow 5pm”), or a new time and text (“Friday 9am call the bank”). "
            "/cancel to keep it as it is.",
            "zh": "✏️ **{task}** 改到什么时候提醒？回复新的时间（例如“明天下午5点”），"
            "也可以连内容一起改（“周五上午9点给银行打电话”）。发送 /cancel 保持不变。",
        },
        "edit_cancelled": {"en": "OK, nothing changed.", "zh": "好的，没有改动。"},
        "edit_unparsed": {
            "en": "🤔 I couldn't find a time in that. Try “tomorrow at 9” or “in 2 hours”, "
            "or /cancel.",
            "zh": "🤔 没找到时间。试试“明天9点”或“两小时后”，或者发送 /cancel。",
        },
        "not_yours": {
            "en": "Only {who} can change this reminder.",
            "zh": "只有 {who} 可以修改这条提醒。",
        },
        "not_yours_group": {
            "en": "Sorry, only {who} (who set this reminder) or a group admin can snooze, "
            "edit or delete it. Anyone can mark it ✅ Done.",
            "zh": "抱歉，只有设置这条提醒的 {who} 或群管理员可以推迟、修改或删除它。"
            "任何人都可以点 ✅ 完成。",
        },
        "gone": {"en": "This reminder no longer exists.", "zh": "这条提醒已经不存在了。"},
        "expired": {"en": "This has expired.", "zh": "已经过期了。"},
        # -- next-step offers ------------------------------------------------------------------
        "offer": {
            "en": "💡 Want a reminder? **{task}**\n🗓 {when}",
            "zh": "💡 要我提醒你吗？**{task}**\n🗓 {when}",
        },
        "button_offer_yes": {"en": "⏰ Remind me", "zh": "⏰ 提醒我"},
        "button_offer_no": {"en": "No thanks", "zh": "不用了"},
        "button_offer_never": {"en": "Don't offer again", "zh": "以后别问了"},
        "offer_declined": {"en": "OK, no reminder.", "zh": "好的，不提醒。"},
        "offers_off": {
            "en": "OK, I won't offer reminders any more. Turn offers back on in /settings.",
            "zh": "好的，以后不再主动提议提醒。可以在 /settings 里重新打开。",
        },
        # -- time zones ------------------------------------------------------------------------
        "tz_current": {
            "en": "🌍 Your time zone is **{zone}** (it is {time} there){default}.\n"
            "Change it with `/timezone Europe/Berlin`, `/timezone Berlin` or "
            "`/timezone 15:40` (your current local time).",
            "zh": "🌍 你的时区是 **{zone}**（那里现在 {time}）{default}。\n"
            "修改：`/timezone Asia/Shanghai`、`/timezone 上海` 或 "
            "`/timezone 15:40`（你现在的当地时间）。",
        },
        "tz_default": {"en": ", the default", "zh": "，这是默认值"},
        "tz_set": {
            "en": "🌍 Time zone set to **{zone}**. Your local time: {time}.",
            "zh": "🌍 时区已设为 **{zone}**。你的当地时间：{time}。",
        },
        "tz_fixed": {
            "en": "\n_That is a fixed offset with no daylight saving; name your city "
            "(e.g. /timezone Berlin) if your clocks change._",
            "zh": "\n_这是固定偏移，不含夏令时；"
            "如果你那里会调时，请用城市名（例如 /timezone 柏林）。_",
        },
        "tz_moved": {
            "en": "\n🔁 {count} recurring reminder(s) now follow this time zone.",
            "zh": "\n🔁 {count} 条重复提醒已改为按这个时区。",
        },
        "tz_reanchored": {
            "en": "\n🕘 {count} reminder(s) you set before choosing a time zone keep their "
            "clock time, now in {zone}: {times}.",
            "zh": "\n🕘 你设置时区之前建的 {count} 条提醒保持原来的钟点，现按 {zone}：{times}。",
        },
        "tz_reanchored_due": {
            "en": " Any whose time has already passed there come right away.",
            "zh": "其中在当地已经过了时间的会马上发出。",
        },
        "tz_alternative": {
            "en": "\nNot quite? {note}",
            "zh": "\n不对？{note}",
        },
        "tz_pick": {
            "en": "🌍 Several time zones match “{text}”. Which one is yours?",
            "zh": "🌍 有好几个时区符合“{text}”，你是哪一个？",
        },
        "tz_unknown": {
            "en": "🤔 I don't know the time zone “{text}”. Try a city (`/timezone Berlin`), "
            "a zone name (`/timezone Asia/Shanghai`), an offset (`/timezone UTC+8`) or your "
            "current local time (`/timezone 15:40`).",
            "zh": "🤔 我不认识“{text}”这个时区。试试城市（`/timezone 上海`）、时区名"
            "（`/timezone Asia/Shanghai`）、偏移（`/timezone UTC+8`）或你现在的当地时间"
            "（`/timezone 15:40`）。",
        },
        # -- settings --------------------------------------------------------------------------
        "settings": {
            "en": "⚙️ **Reminder settings**\n🌍 Time zone: {zone}\n"
            "🕘 Time for a date without a time: {time}\n💡 Offering reminders from our chats: "
            "{offers}\n\nSet another default time with `/settings time 8:30`.",
            "zh": "⚙️ **提醒设置**\n🌍 时区：{zone}\n🕘 只说日期时的默认时间：{time}\n"
            "💡 聊天中主动提议提醒：{offers}\n\n用 `/settings time 8:30` 设置别的默认时间。",
        },
        "on": {"en": "on", "zh": "开"},
        "off": {"en": "off", "zh": "关"},
        "button_offers_on": {"en": "💡 Turn offers on", "zh": "💡 打开提议"},
        "button_offers_off": {"en": "💡 Turn offers off", "zh": "💡 关闭提议"},
        "settings_bad_time": {
            "en": "🤔 “{text}” is not a time of day. Try `/settings time 8:30`.",
            "zh": "🤔 “{text}”不是一个时间。试试 `/settings time 8:30`。",
        },
    }
)
