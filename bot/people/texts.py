"""The people feature's words in English and Chinese (Markdown; user text goes through ``md``)."""

from __future__ import annotations

from bot.i18n import Catalog

__all__ = ["KIND_ICONS", "TEXTS"]

KIND_ICONS = {"birthday": "🎂", "anniversary": "💍", "other": "📅"}

TEXTS = Catalog(
    {
        # -- kinds -----------------------------------------------------------------------
        "kind_birthday": {"en": "Birthday", "zh": "生日"},
        "kind_anniversary": {"en": "Anniversary", "zh": "纪念日"},
        "kind_other": {"en": "Date", "zh": "日子"},
        # -- confirmations ---------------------------------------------------------------
        "saved_new": {"en": "👤 New: {who}", "zh": "👤 已记下：{who}"},
        "saved": {"en": "👤 Updated: {who}", "zh": "👤 已更新：{who}"},
        "line_date": {"en": "{icon} {kind}: {date}", "zh": "{icon} {kind}：{date}"},
        "line_date_next": {
            "en": " — next on {day} ({when})",
            "zh": "，下一次是{day}，{when}",
        },
        "line_turns": {"en": ", turns {age}", "zh": "，满{age}岁"},
        "line_lunar_rule": {
            "en": "\n🌙 Lunar date: I work out the Gregorian day every year.",
            "zh": "\n🌙 农历日期：我每年会自动换算成公历。",
        },
        "line_note": {"en": "📝 Note: {text}", "zh": "📝 备注：{text}"},
        "line_cadence": {
            "en": "📞 Stay in touch {cadence} — next nudge around {day}",
            "zh": "📞 保持联系：{cadence}，下次提醒大约在{day}",
        },
        "line_cadence_off": {
            "en": "📞 No more stay-in-touch nudges",
            "zh": "📞 不再提醒保持联系",
        },
        "line_met": {"en": "🤝 Logged: {what} ({when})", "zh": "🤝 已记录：{what}（{when}）"},
        "line_met_plain": {"en": "🤝 Logged a contact ({when})", "zh": "🤝 已记录联系（{when}）"},
        "line_relation": {"en": "🏷 Relation: {relation}", "zh": "🏷 关系：{relation}"},
        "line_aliases": {"en": "🏷 Also called: {aliases}", "zh": "🏷 也叫：{aliases}"},
        "line_renamed": {"en": "🏷 Now called: {name}", "zh": "🏷 改名为：{name}"},
        "button_undo": {"en": "↩️ Undo", "zh": "↩️ 撤销"},
        "undone": {"en": "↩️ Undone.", "zh": "↩️ 已撤销。"},
        "gone": {
            "en": "This is no longer available.",
            "zh": "这个已经失效了。",
        },
        "not_yours": {
            "en": "Only the person who asked can use these buttons.",
            "zh": "只有发起的人才能使用这些按钮。",
        },
        # -- choosing who ----------------------------------------------------------------
        "which": {
            "en": "I know more than one {name}. Who do you mean?",
            "zh": "我认识不止一个{name}，你指的是哪一位？",
        },
        "which_or_new": {
            "en": "Is this someone I already know, or someone new?",
            "zh": "这是我已经认识的人，还是一个新的人？",
        },
        "button_new": {"en": "➕ Someone new: {name}", "zh": "➕ 新的人：{name}"},
        "button_cancel": {"en": "✖️ Cancel", "zh": "✖️ 取消"},
        "cancelled": {"en": "OK, nothing changed.", "zh": "好的，没有做任何改动。"},
        "unknown_person": {
            "en": "I don't know anyone called {name} yet. Tell me about them, e.g. "
            "`/note {name} loves orchids` or `/birthday {name} 03-14`.",
            "zh": "我还不认识叫{name}的人。可以先告诉我一些关于TA的事，比如"
            "`/note {name} 喜欢兰花` 或 `/birthday {name} 3月14日`。",
        },
        # -- usage -----------------------------------------------------------------------
        "usage_birthday": {
            "en": "Tell me whose birthday and when, for example:\n"
            "`/birthday Anna 03-14`\n`/birthday Anna 1990-03-14`\n`/birthday Tom 14 March`\n"
            "`/birthday Mom lunar 8/15` (lunar calendar)\n"
            "`/birthday Grandma lunar leap 4/8` (a leap month; also `lunar 4/8 leap`)\n"
            "A year is optional; with it I can tell the age. Feb 29 is kept on Feb 28 in "
            "other years.",
            "zh": "告诉我是谁的生日、哪一天，例如：\n"
            "`/birthday 妈妈 农历八月十五`\n`/birthday 爸爸 1960年3月14日`\n"
            "`/birthday Anna 3月14日`\n`/birthday 奶奶 农历闰四月初八`（闰月）\n"
            "年份可以不写；写了我就能算出年龄。闰月生日在没有该闰月的年份按同月过；"
            "2月29日的生日在平年按2月28日过。",
        },
        "usage_note": {
            "en": "What should I note, and about whom? For example:\n"
            "`/note Anna loves orchids`\n`/note Tom new job at Siemens`",
            "zh": "要记下什么、关于谁？例如：\n`/note 妈妈 喜欢兰花`\n`/note 小王 换了新工作`",
        },
        "usage_keepintouch": {
            "en": "How often would you like to be in touch? For example:\n"
            "`/keepintouch Anna every 2 weeks`\n`/keepintouch Tom monthly`\n"
            "`/keepintouch Tom off` stops the nudges.",
            "zh": "想多久联系一次？例如：\n`/keepintouch 妈妈 每周`\n`/keepintouch 小王 每月`\n"
            "`/keepintouch 小王 取消` 停止提醒。",
        },
        "usage_met": {
            "en": "Whom did you talk to or meet? For example:\n"
            "`/met Anna coffee in the park`\n`/met Tom yesterday dinner`\n"
            "`/met Tom 2 weeks ago lunch` · `/met Anna last Tuesday`",
            "zh": "你和谁联系或见面了？例如：\n`/met 妈妈 打了电话`\n`/met 小王 昨天一起吃饭`\n"
            "`/met 小王 两周前喝咖啡` · `/met 妈妈 上周二`",
        },
        "usage_person": {
            "en": "Whom should I show? For example `/person Anna`. /people lists everyone.",
            "zh": "要看谁的资料？例如 `/person 妈妈`。发送 /people 查看所有人。",
        },
        "usage_draft": {
            "en": "Whom should I write to? For example `/draft Anna`.",
            "zh": "要给谁写消息？例如 `/draft 妈妈`。",
        },
        "bad_date": {
            "en": "I couldn't read a date in “{text}”. Try `03-14`, `1990-03-14`, `14 March`, "
            "`lunar 8/15` or `lunar leap 4/8`.",
            "zh": "我没能从“{text}”里读出日期。可以写 `3月14日`、`1990-03-14`、"
            "`农历八月十五` 或 `农历闰四月初八`。",
        },
        "bad_cadence": {
            "en": "I couldn't read how often in “{text}”. Try `every 2 weeks`, `monthly` or "
            "`every 10 days`.",
            "zh": "我没能从“{text}”里读出频率。可以写 `每周`、`每两周`、`每月` 或 `每10天`。",
        },
        # -- the group rule ----------------------------------------------------------------
        "private_only": {
            "en": "🔒 The people you tell me about are private, so I keep them out of groups. "
            "Ask me in our private chat, or tap below to show it here anyway.",
            "zh": "🔒 你告诉我的人和事是私密的，所以我不在群里显示。"
            "请在私聊里问我；如果确实想在这里显示，请点下面的按钮。",
        },
        "button_show_here": {"en": "👁 Show it here", "zh": "👁 在这里显示"},
        "tool_private": {
            "en": "not done: people are private and never handled in group chats. Tell the "
            "user, briefly, to tell you in a private chat.",
            "zh": "not done: people are private and never handled in group chats.",
        },
        # -- /people -----------------------------------------------------------------------
        "list_empty": {
            "en": "You haven't told me about anyone yet. Just mention them in our chat "
            "(“My sister Anna's birthday is March 14”) or use `/birthday Anna 03-14`, "
            "`/note Anna loves orchids`, `/keepintouch Anna every 2 weeks`.",
            "zh": "你还没有告诉我任何人的事。聊天时顺口说一句就行（“我妈妈农历八月十五生日”），"
            "也可以用 `/birthday 妈妈 农历八月十五`、`/note 妈妈 喜欢兰花`、"
            "`/keepintouch 妈妈 每周`。",
        },
        "list_head": {"en": "👥 **Your people** ({count})", "zh": "👥 **你在乎的人**（{count}）"},
        "list_next_birthday": {
            "en": "🎂 Next: {who}, {day} ({when})",
            "zh": "🎂 最近的生日：{who}，{day}（{when}）",
        },
        "list_due": {"en": "📞 Due for a call: {names}", "zh": "📞 该联系了：{names}"},
        "list_page": {"en": "Page {page} of {pages}", "zh": "第 {page}/{pages} 页"},
        "button_prev": {"en": "◀️", "zh": "◀️"},
        "button_next": {"en": "▶️", "zh": "▶️"},
        "overdue_days": {"en": "{days} d overdue", "zh": "超期{days}天"},
        "due_today": {"en": "due today", "zh": "今天该联系"},
        # -- /person card ------------------------------------------------------------------
        "card_aliases": {"en": "🏷 Also: {aliases}", "zh": "🏷 也叫：{aliases}"},
        "card_no_dates": {
            "en": "🎂 No dates yet: `/birthday {name} 03-14`",
            "zh": "🎂 还没有日期：`/birthday {name} 3月14日`",
        },
        "card_cadence": {
            "en": "📞 Stay in touch {cadence} · {state}",
            "zh": "📞 保持联系：{cadence} · {state}",
        },
        "card_next_nudge": {"en": "next nudge {day}", "zh": "下次提醒{day}"},
        "card_overdue": {"en": "overdue since {day}", "zh": "{day}起该联系了"},
        "card_snoozed": {"en": "snoozed until {day}", "zh": "推迟到{day}"},
        "card_last_contact": {"en": "🤝 Last contact: {when}", "zh": "🤝 上次联系：{when}"},
        "card_no_contact": {"en": "🤝 No contact logged yet", "zh": "🤝 还没有联系记录"},
        "card_notes": {"en": "📝 Notes:", "zh": "📝 备注："},
        "card_note": {"en": "• {text} ({day})", "zh": "• {text}（{day}）"},
        "card_more_notes": {"en": "…and {count} more", "zh": "……还有{count}条"},
        "card_recent": {"en": "🗒 Recent contacts:", "zh": "🗒 最近联系："},
        "card_contact": {"en": "• {day}: {what}", "zh": "• {day}：{what}"},
        "button_draft": {"en": "✍️ Draft a message", "zh": "✍️ 帮我写条消息"},
        "button_met_today": {"en": "✅ Talked today", "zh": "✅ 今天联系过"},
        "button_edit": {"en": "✏️ Edit", "zh": "✏️ 编辑"},
        "button_delete": {"en": "🗑 Delete", "zh": "🗑 删除"},
        "button_back": {"en": "↩️ Back", "zh": "↩️ 返回"},
        # -- edit and delete ---------------------------------------------------------------
        "edit_prompt": {
            "en": "✏️ Editing {who}. Send me a change, for example:\n"
            "`name Anna Schmidt` · `relation sister` · `alias Annie`\n"
            "`birthday 1990-03-14` · `every 2 weeks` · `note loves jazz`\n"
            "Or remove something with the buttons. /cancel to stop.",
            "zh": "✏️ 正在编辑{who}。发给我要改的内容，例如：\n"
            "`名字 王小明` · `关系 姐姐` · `别名 小明`\n"
            "`生日 农历八月十五` · `每两周` · `备注 喜欢爵士乐`\n"
            "也可以用按钮删除某一项。发送 /cancel 结束编辑。",
        },
        "edit_unknown": {
            "en": "I didn't catch a change there. Try `relation sister`, `alias Annie`, "
            "`birthday 03-14`, `every 2 weeks` or `note …`. /cancel to stop editing.",
            "zh": "没看懂要改什么。可以写 `关系 姐姐`、`别名 小明`、`生日 3月14日`、`每两周` "
            "或 `备注 ……`。发送 /cancel 结束编辑。",
        },
        "edit_done": {"en": "OK, done editing.", "zh": "好的，编辑结束。"},
        "button_remove_date": {"en": "🗑 {icon} {date}", "zh": "🗑 {icon} {date}"},
        "button_remove_note": {"en": "🗑 📝 {text}", "zh": "🗑 📝 {text}"},
        "button_stop_cadence": {"en": "🔕 Stop nudges", "zh": "🔕 不再提醒联系"},
        "removed": {"en": "Removed.", "zh": "已删除。"},
        "delete_confirm": {
            "en": "Delete {who} and everything I know about them (dates, notes, contacts)?",
            "zh": "要删除{who}以及关于TA的所有信息（日期、备注、联系记录）吗？",
        },
        "button_delete_yes": {"en": "🗑 Yes, delete", "zh": "🗑 确定删除"},
        "deleted": {"en": "🗑 Deleted {name}.", "zh": "🗑 已删除{name}。"},
        # -- interactions from the chat ----------------------------------------------------
        "offer_log": {
            "en": "🤝 Shall I log that you {what} with {who} ({when})?",
            "zh": "🤝 要记下你和{who}{what}吗（{when}）？",
        },
        "offer_log_plain": {
            "en": "🤝 Shall I log a contact with {who} ({when})?",
            "zh": "🤝 要记下你和{who}联系过吗（{when}）？",
        },
        "button_log": {"en": "✅ Log it", "zh": "✅ 记下"},
        "button_log_who": {"en": "✅ {who}", "zh": "✅ {who}"},
        "button_no_thanks": {"en": "No thanks", "zh": "不用了"},
        "not_logged": {"en": "OK, not logged.", "zh": "好的，不记录。"},
        # -- digest ------------------------------------------------------------------------
        "digest_head": {
            "en": "☀️ **People to think of today**",
            "zh": "☀️ **今天值得想起的人**",
        },
        "digest_today": {"en": "🎂 **Today**", "zh": "🎂 **今天**"},
        "digest_upcoming": {"en": "🗓 **Coming up**", "zh": "🗓 **即将到来**"},
        "digest_missed": {"en": "⏮ **Just missed**", "zh": "⏮ **刚刚错过**"},
        "digest_overdue": {"en": "📞 **Time to reach out**", "zh": "📞 **该联系了**"},
        "digest_item_today": {
            "en": "• {who}: {kind}{age}",
            "zh": "• {who}：{kind}{age}",
        },
        "digest_item_ahead": {
            "en": "• {who}: {kind} on {day} ({when}){age}",
            "zh": "• {who}：{day}{kind}（{when}）{age}",
        },
        "digest_item_missed": {
            "en": "• {who}: {kind} was on {day} — it's not too late to say something",
            "zh": "• {who}：{day}是{kind}，现在问候也不晚",
        },
        "digest_age_today": {"en": " — turns {age} today!", "zh": "，今天满{age}岁！"},
        "digest_age": {"en": ", turns {age}", "zh": "，满{age}岁"},
        "digest_lunar": {"en": " 🌙", "zh": "（农历）"},
        "digest_last_talked": {
            "en": "  last talked {when}",
            "zh": "  上次联系：{when}",
        },
        "digest_never_talked": {"en": "  no contact logged yet", "zh": "  还没有联系记录"},
        "digest_gifts": {
            "en": "  🎁 Gift ideas from your notes: {ideas}",
            "zh": "  🎁 礼物灵感（来自备注）：{ideas}",
        },
        "digest_overdue_item": {
            "en": "• {who} — last talked {when} ({cadence})",
            "zh": "• {who}：上次联系{when}（{cadence}）",
        },
        "digest_overdue_never": {
            "en": "• {who} — no contact logged yet ({cadence})",
            "zh": "• {who}：还没有联系记录（{cadence}）",
        },
        "digest_more": {
            "en": "…and {count} more in /people",
            "zh": "……还有{count}位，见 /people",
        },
        "button_digest_draft": {"en": "✍️ {name}", "zh": "✍️ {name}"},
        "button_digest_done": {"en": "✅ Done", "zh": "✅ 联系过了"},
        "button_digest_snooze": {"en": "💤 1 week", "zh": "💤 推迟一周"},
        "done_toast": {
            "en": "Logged: you were in touch with {name} today.",
            "zh": "已记录：今天和{name}联系过。",
        },
        "snoozed_toast": {
            "en": "OK, I won't nudge you about {name} until {day}.",
            "zh": "好的，{day}之前不再提醒你联系{name}。",
        },
        "digest_nothing": {
            "en": "Nothing to nudge you about today. 🌿",
            "zh": "今天没有需要提醒的事。🌿",
        },
        # -- /digest settings --------------------------------------------------------------
        "digest_settings": {
            "en": "🗓 **Daily people digest**: {state}\n"
            "⏰ At {time} ({zone}) · 🎂 dates {lead} days ahead and on the day\n"
            "It only comes when there is something to say. Change it with "
            "`/digest 8:30`, `/digest 5 days`, `/digest off`.",
            "zh": "🗓 **每日关怀摘要**：{state}\n"
            "⏰ 每天{time}（{zone}）· 🎂 重要日子提前{lead}天和当天提醒\n"
            "只有在有事要提醒时才会发送。可以用 `/digest 8:30`、`/digest 提前5天`、"
            "`/digest 关闭` 修改。",
        },
        "on": {"en": "on", "zh": "开启"},
        "off": {"en": "off", "zh": "关闭"},
        "button_digest_off": {"en": "🔕 Turn off", "zh": "🔕 关闭"},
        "button_digest_on": {"en": "🔔 Turn on", "zh": "🔔 开启"},
        "button_lead": {"en": "{days} d ahead", "zh": "提前{days}天"},
        "button_preview": {"en": "👀 Today's digest", "zh": "👀 看看今天的摘要"},
        "digest_bad": {
            "en": "Try `/digest 8:30`, `/digest 5 days`, `/digest off` or `/digest on`.",
            "zh": "可以写 `/digest 8:30`、`/digest 提前5天`、`/digest 关闭` 或 `/digest 开启`。",
        },
        # -- drafts ------------------------------------------------------------------------
        "draft_failed": {
            "en": "Sorry, I can't reach my language model right now. Please try again in a minute.",
            "zh": "抱歉，我暂时连不上语言模型，请过一会儿再试。",
        },
        "button_draft_again": {"en": "🔄 Another", "zh": "🔄 换一条"},
        "button_sent_it": {"en": "✅ I sent it", "zh": "✅ 已发送"},
    }
)
