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
        "empty_answer": {
            "en": "Hmm, I have nothing to add to that.",
            "zh": "嗯，这个我没有什么要补充的。",
        },
    }
)
