"""What the media service says to the user, in English and Chinese."""

from bot.i18n import Catalog

__all__ = ["TEXTS"]

TEXTS = Catalog(
    {
        "too_big": {
            "en": "That file is {size} MB; Telegram lets me download files up to {limit} MB. "
            "I noted that you sent it. Could you send a smaller one, or paste the part you "
            "care about?",
            "zh": "这个文件有 {size} MB，Telegram 只允许我下载 {limit} MB 以内的文件。"
            "我记下了你发过它。能发个小一点的，或者把关键部分贴给我吗？",
        },
        "too_long": {
            "en": "That recording is {minutes} minutes long; I transcribe up to {limit} minutes. "
            "I noted that you sent it. Could you send it in shorter parts?",
            "zh": "这段录音有 {minutes} 分钟，我最多只能转写 {limit} 分钟。"
            "我记下了你发过它，可以分成几段再发吗？",
        },
        "no_transcription": {
            "en": "I can't listen to voice messages here: speech recognition is not set up "
            "(TRANSCRIPTION_MODEL). Could you type it instead?",
            "zh": "这里还不能听语音：没有配置语音识别（TRANSCRIPTION_MODEL）。可以用文字告诉我吗？",
        },
        "transcription_failed": {
            "en": "Sorry, I couldn't transcribe that voice message right now (the speech "
            "service did not answer). I kept it; please try again in a minute or type it.",
            "zh": "抱歉，我现在没法转写这条语音（语音识别服务没有响应）。"
            "我已经保存了它，请过一会儿再试，或者直接打字。",
        },
        "silence": {
            "en": "I couldn't hear any words in that recording.",
            "zh": "这段录音里我没听到说话内容。",
        },
        "no_vision": {
            "en": "I can't look at pictures here: image input is switched off (VISION). "
            "I kept your caption; tell me in words what you'd like to know.",
            "zh": "这里我还不能看图片：图片输入没有开启（VISION）。"
            "我保存了你的说明文字，可以用文字告诉我你想问什么。",
        },
        "vision_failed": {
            "en": "Sorry, I couldn't look at that picture: my model did not accept it (it may "
            "not take images). I kept the photo's caption and file.",
            "zh": "抱歉，我没能看这张图片：模型没有接受它（可能不支持图片输入）。"
            "我保存了照片和说明文字。",
        },
        "bad_image": {
            "en": "I couldn't open that picture: the file seems damaged or is in a format I "
            "don't know. I noted that you sent it.",
            "zh": "这张图片我打不开：文件可能损坏了，或者格式我不认识。我记下了你发过它。",
        },
        "unsupported_file": {
            "en": "I can't read this kind of file yet ({name}). I can read plain text, "
            "Markdown, PDF and Word (.docx) files.",
            "zh": "我暂时还读不了这种文件（{name}）。"
            "我能读纯文本、Markdown、PDF 和 Word（.docx）文件。",
        },
        "bad_document": {
            "en": "I couldn't read {name}: it seems damaged, protected, or has no text in it "
            "(a scan?). I noted that you sent it.",
            "zh": "我读不了 {name}：它可能损坏了、加了密，或者里面没有文字（扫描件？）。"
            "我记下了你发过它。",
        },
        "download_failed": {
            "en": "Sorry, I couldn't download that file from Telegram just now. I noted that "
            "you sent it; please try sending it again.",
            "zh": "抱歉，我刚才没能从 Telegram 下载这个文件。我记下了你发过它，请再发一次试试。",
        },
        "audio_cap": {
            "en": "You've reached today's limit of {limit} minutes of voice messages. I kept "
            "this one untranscribed; typing works as always.",
            "zh": "你今天的语音转写额度（{limit} 分钟）已经用完了。这条我先保存下来但没有转写，"
            "打字照常可以。",
        },
        "image_cap": {
            "en": "You've reached today's limit of {limit} pictures. I kept this one without "
            "looking at it; text works as always.",
            "zh": "你今天的图片额度（{limit} 张）已经用完了。这张我先保存但没有看，文字照常可以。",
        },
        "summarise": {
            "en": "Please summarise this document for me.",
            "zh": "请帮我总结一下这份文件。",
        },
        "look": {
            "en": "(sent a photo)",
            "zh": "（发了一张照片）",
        },
    }
)
