"""The conversation's own words to the user."""

from bot.i18n import Catalog

__all__ = ["TEXTS"]

TEXTS = Catalog(
    {
        "llm_down": {
            "en": "Sorry, I can't reach my language model right now. Your message is saved; "
            "please try again in a minute.",
            "zh": "抱歉，我暂时连不上语言模型。你的消息已经保存好了，请过一会儿再试。",
        },
        "cut_slow": {
            "en": "(I stopped here: the answer was taking too long. Ask me to go on if you "
            "want the rest.)",
            "zh": "（我先停在这里：这个回答写得太久了。需要的话，让我接着说。）",
        },
        "empty_answer": {
            "en": "Hmm, I have nothing to add to that.",
            "zh": "嗯，这个我没有什么要补充的。",
        },
    }
)
