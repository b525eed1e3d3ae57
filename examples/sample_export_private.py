# ruff: noqa: RUF001 - the sample text is Cyrillic, Arabic and Japanese on purpose
"""Scenes of the sample account's private chats: a sister, a bot, Saved Messages, family."""

from __future__ import annotations

from make_sample_export import ChatWriter, document, part, photo
from sample_export_lines import (
    ANNA,
    ANNA_EMOJI,
    ANNA_SMALL_TALK,
    BOT,
    DELETED,
    MARKET,
    MAX,
    ME,
    Pool,
    t,
)


def anna_chat(w: ChatWriter) -> None:
    """Private chat: texts, replies, edits, media of every kind, calls, reactions."""
    first = w.say(ANNA, "Привет! Ты уже в Берлине? ✈️")
    w.clock.tick(2, 5)
    w.say(ME, t("Да, только что ", part("bold", "приземлилась"), "! Всё хорошо 🙌"), reply_to=first)
    w.clock.tick(1, 3)
    w.say(ME, "", media=photo("photos/photo_1@15-01-2024_10-41-07.jpg", 1280, 960, 184233))
    w.clock.tick(0.5, 2)
    snow = w.say(ME, "Смотри, какой снег ❄️ у аэропорта", edited=3)
    w.clock.tick(1, 4)
    w.say(ANNA, "Красота! 😍", reply_to=snow, reactions=w.react(("❤️", 1), by=[ME]))
    w.clock.tick(30, 90)
    w.service(ANNA, "phone_call", duration_seconds=754, discard_reason="hangup")
    w.clock.tick(60, 200)
    w.say(
        ANNA,
        t(
            "Вот адрес квартиры: ",
            part("code", "Revaler Str. 99, 10245 Berlin"),
            ". Ключи у консьержа, код ",
            part("spoiler", "4711"),
        ),
    )
    w.clock.tick(5, 20)
    w.say(
        ME,
        "",
        media=document(
            "voice_messages/audio_1@15-01-2024_13-02-55.ogg",
            "audio/ogg",
            48213,
            media_type="voice_message",
            duration_seconds=17,
        ),
    )
    w.clock.tick(1, 10)
    w.say(
        ANNA,
        "",
        media=document(
            "round_video_messages/file_2@15-01-2024_13-09-12.mp4",
            "video/mp4",
            812_004,
            media_type="video_message",
            duration_seconds=9,
            width=384,
            height=384,
        ),
    )
    w.clock.tick(1, 3)
    w.say(
        ME,
        "",
        media=document(
            "stickers/sticker.webp",
            "image/webp",
            22_018,
            media_type="sticker",
            sticker_emoji="😂",
            width=512,
            height=512,
        ),
    )
    w.clock.tick(20, 60)
    w.say(ME, "", media={"location_information": {"latitude": 52.507629, "longitude": 13.450011}})
    w.say(ME, "Я тут, у входа в парк", gap=0)
    w.clock.tick(1, 2)
    w.say(
        ANNA,
        "",
        media={
            "location_information": {"latitude": 52.509311, "longitude": 13.447291},
            "live_location_period_seconds": 900,
        },
    )
    w.clock.tick(100, 300)
    w.say(
        ANNA,
        "",
        media={
            "contact_information": {
                "first_name": "Марина",
                "last_name": "Кузнецова",
                "phone_number": "+44 7700 900123",
            },
            "contact_vcard": "contacts/contact_1.vcard",
            "contact_vcard_file_size": 211,
        },
    )
    w.say(ANNA, "Это Марина, она тоже переехала в Берлин, напиши ей 🙂")
    w.clock.tick(200, 600)
    w.service(ME, "phone_call", discard_reason="missed")
    w.clock.tick(5, 15)
    w.say(ANNA, "Прости, была в метро. Перезвоню!", edited=1.5)
    w.clock.tick(300, 900)
    w.say(ANNA, "Смотри, что мне переслали 😂", gap=0)
    w.say(
        ANNA,
        "Как понять, что ты живёшь в Берлине: у тебя три разных карты для самоката 🛴",
        forwarded_from="Типичный эмигрант",
    )
    w.say(ANNA, "Пост без автора", forwarded_from=None)
    w.clock.tick(30, 120)
    w.say(
        ME,
        "",
        media=photo("photos/photo_2@20-01-2024_18-11-40.jpg", 960, 1280, 151_778)
        | {"media_spoiler": True},
    )
    w.say(ME, "Угадай, где я 🤫")
    w.clock.tick(1, 5)
    w.say(ANNA, "", media=photo(None, 1080, 1350) | {"self_destruct_period_seconds": 10})
    w.clock.tick(100, 400)
    w.say(
        ANNA,
        "",
        media=document(
            "video_files/video_1@22-01-2024_09-30-12.mp4",
            "video/mp4",
            5_830_112,
            media_type="video_file",
            duration_seconds=31,
            width=1080,
            height=1920,
            thumbnail="video_files/video_1@22-01-2024_09-30-12.mp4_thumb.jpg",
            thumbnail_file_size=30211,
        ),
    )
    w.say(ANNA, "Наш кот научился открывать холодильник 🐈", reactions=w.react(("😂", 1), by=[ME]))
    w.clock.tick(10, 60)
    w.say(
        ME,
        "",
        media=document(None, "application/pdf", 2_344_981, file_name="Mietvertrag_final.pdf"),
    )
    w.say(
        ME,
        t(
            "Договор аренды. Посмотришь пункт ",
            part("bold", "§ 7"),
            "? Там что-то про ",
            part("italic", "Schönheitsreparaturen"),
            " 🤯",
        ),
    )
    w.clock.tick(30, 90)
    w.say(
        ANNA,
        t(
            "Посмотрела. Это нормально, см. ",
            part("text_link", "разбор", href="https://example.org/mietrecht/7"),
            " — главное, чтобы не было слова ",
            part("underline", "обязательно"),
            ".",
        ),
        edited=12,
    )
    rng = w.rng
    talk = Pool(ANNA_SMALL_TALK)
    for _ in range(34):
        w.clock.tick(600, 2400)
        for who, line in talk.take(rng.randint(3, 6)):
            w.clock.tick(1, 12)
            reactions = None
            if rng.random() < 0.15:
                reactions = w.react((rng.choice(ANNA_EMOJI), 1), by=[ANNA if who is ME else ME])
            w.say(who, line, reactions=reactions, edited=5 if rng.random() < 0.05 else None)
    w.clock.tick(100, 300)
    last = w.say(
        ANNA,
        "С днём рождения!!! 🎂🎉🥳 Люблю тебя, сестрёнка 💐",
        reactions=w.react(("❤️", 1), ("🥰", 1), by=[ME]),
    )
    w.say(ME, "Спасибо, родная 🥹", reply_to=last)
    w.service(ANNA, "phone_call", duration_seconds=2712, discard_reason="hangup")


def bot_chat(w: ChatWriter) -> None:
    """A bot: commands, inline buttons, a game, a payment."""
    w.service(None, "allow_sending_messages", reason_domain="forecast.example.org")
    w.say(ME, t(part("bot_command", "/start")))
    w.clock.tick(0, 0.2)
    buttons = [
        [
            {"type": "callback", "text": "Berlin 🇩🇪", "dataBase64": "Y2l0eTpiZXJsaW4", "data": ""},
            {"type": "callback", "text": "Москва 🇷🇺", "dataBase64": "Y2l0eTptb3Njb3c", "data": ""},
        ],
        [{"type": "url", "text": "Website", "data": "https://forecast.example.org"}],
    ]
    w.say(BOT, "Hi Лена! Pick a city for daily forecasts 🌦", buttons=buttons)
    for city, forecast in (
        ("Berlin", "Berlin: 3°C, light rain 🌧 Wind 18 km/h. Umbrella recommended."),
        ("Berlin", "Berlin: -1°C, snow showers 🌨 Roads may be slippery."),
        ("Москва", "Москва: -14°C, ясно ☀️ Одевайтесь теплее!"),
        ("Berlin", "Berlin: 7°C, cloudy ☁️"),
        ("Berlin", "Berlin: 12°C, sunny intervals 🌤"),
    ):
        w.clock.tick(600, 1440)
        w.say(ME, t(part("bot_command", "/forecast"), f" {city}"))
        w.clock.tick(0, 0.1)
        w.say(BOT, forecast)
    w.clock.tick(60, 120)
    game = w.say(
        BOT,
        "",
        media={
            "game_title": "Umbrella Dash",
            "game_description": "Catch raindrops before they hit the ground!",
            "game_link": "https://t.me/forecast_helper_bot?game=umbrella",
        },
    )
    w.clock.tick(5, 10)
    w.service(ME, "score_in_game", game_message_id=game, score=1420)
    w.clock.tick(60, 120)
    invoice = w.say(
        BOT,
        "",
        media={
            "invoice_information": {
                "title": "Premium forecasts",
                "description": "Hourly alerts for one city, 30 days",
                "amount": 299,
                "currency": "EUR",
            }
        },
    )
    w.clock.tick(2, 5)
    w.service(None, "send_payment", amount=299, currency="EUR", invoice_message_id=invoice)
    w.say(BOT, t("Thank you! ", part("bold", "Premium"), " is active until 2024-04-01 ✅"))
    w.say(ME, t(part("bot_command", "/stop")))
    w.say(BOT, "Daily forecasts stopped. Send /start to subscribe again.")


def saved_messages(w: ChatWriter) -> None:
    """Saved Messages: notes, saved posts, links, files."""
    w.say(ME, "Список на переезд: коробки, скотч, Anmeldung, интернет, страховка")
    w.say(ME, t("Паспорт: ", part("spoiler", "75 1234567"), " (не забыть продлить в 2027)"))
    w.clock.tick(60, 300)
    w.say(
        ME,
        "Сегодня: синий фонарь у северного входа 🏮",
        forwarded_from=MARKET.name,
        saved_from=MARKET.name,
    )
    for note in (
        t("Курс: ", part("link", "https://example.org/courses/german-b1"), " — записаться до 1.03"),
        t(
            "SQL на потом: ",
            part("pre", "SELECT chat_id, count(*)\nFROM messages\nGROUP BY 1;", language="sql"),
        ),
        t("Email арендодателя: ", part("email", "hausverwaltung@example.org")),
        t("Телефон Марины: ", part("phone", "+44 7700 900123")),
        t(part("hashtag", "#идеи"), " подарить Ане фотокнигу про наше детство"),
        t("Купить ", part("cashtag", "$VWRL"), " в марте?"),
        t(
            part(
                "blockquote",
                "Не откладывай на завтра то, что можно сделать послезавтра.",
                collapsed=False,
            ),
            " — Марк Твен (или нет)",
        ),
        "Рецепт сырников: творог 500 г, 1 яйцо, 2 ст. л. муки, соль. Жарить на среднем огне.",
        "Пароль от роутера в новой квартире на наклейке снизу, не на коробке!",
        "Книги: «Империя знаков», «Kitchen», «Stoner», «Die Wand»",
    ):
        w.clock.tick(600, 4000)
        w.say(ME, note)
    w.clock.tick(300, 900)
    w.say(ME, "", media=document("files/Anmeldung_Formular.pdf", "application/pdf", 388_112))
    w.say(
        ME,
        "",
        media=document(
            "files/Kündigung_Vodafone.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            24_776,
        ),
    )
    w.clock.tick(300, 900)
    w.say(ME, "Как правильно отказаться от GEZ? Оказывается, никак 😅")
    w.say(
        ME,
        "",
        media=document(
            "files/playlist.mp3",
            "audio/mpeg",
            6_122_881,
            media_type="audio_file",
            performer="Kino",
            title="Звезда по имени Солнце",
            duration_seconds=226,
        ),
    )
    w.say(
        ME,
        "",
        media={
            "place_name": "Markthalle Neun",
            "address": "Eisenbahnstraße 42/43, Berlin",
            "location_information": {"latitude": 52.502108, "longitude": 13.431771},
        },
    )
    w.say(
        ME,
        "",
        media={
            "todo_list": {
                "title": "Переезд",
                "others_can_append": False,
                "others_can_complete": False,
                "answers": [
                    {"text": "Коробки", "id": 1},
                    {"text": "Anmeldung", "id": 2},
                    {"text": "Интернет", "id": 3},
                ],
            }
        },
    )
    w.say(ME, "Сохранить: объявление о переезде 🙂", forwarded_from=ANNA.name, saved_from=ANNA.name)


def family_group(w: ChatWriter) -> None:
    """A basic group: create, invite, rename, photo, poll, leave, TTL, theme."""
    w.service(ANNA, "create_group", title="Дача", members=[ME.name, MAX.name])
    w.say(ANNA, "Создала чат, чтобы обсудить поездку на дачу 🏡")
    w.clock.tick(5, 30)
    w.service(ANNA, "edit_group_title", title="Дача 🏡 weekend")
    w.service(
        ANNA,
        "edit_group_photo",
        photo="photos/photo_1@02-02-2024_19-00-00.jpg",
        photo_file_size=48_001,
        width=640,
        height=640,
    )
    w.service(ME, "invite_members", members=["Мама"])
    w.service(ME, "edit_chat_theme", emoticon="🌷")
    poll = {
        "poll": {
            "question": "Когда едем?",
            "closed": True,
            "total_voters": 4,
            "answers": [
                {"text": "Пятница вечером", "voters": 3, "chosen": True},
                {"text": "Суббота утром", "voters": 1, "chosen": False},
                {"text": "Не смогу 😢", "voters": 0, "chosen": False},
            ],
        }
    }
    w.say(ANNA, "", media=poll, reactions=w.react(("👍", 2), by=[ME, MAX]))
    lines = [
        (MAX, "Я могу взять машину, влезут четверо"),
        (ANNA, "Кто покупает продукты?"),
        (ME, "Я! Список скиньте сюда"),
        (
            ANNA,
            t(
                "Список: ",
                part("bold", "мясо"),
                ", овощи, хлеб, ",
                part("strikethrough", "пиво"),
                " квас",
            ),
        ),
        (MAX, "Мангал там есть или брать?"),
        (ANNA, "Есть, но решётку надо новую"),
        (ME, "Прогноз: +18 и солнце ☀️"),
        (MAX, "Выезжаем в 17:30 от метро"),
        (ANNA, "Не забудьте репеллент 🦟"),
        (ME, "Приехали! Тут так хорошо 🌲"),
    ]
    back = [
        (ANNA, "Как доехали обратно?"),
        (MAX, "Пробка на въезде в город, но в целом нормально"),
        (ME, "Спасибо всем за выходные ❤️"),
        (ANNA, "Фото скину в общий альбом"),
        (ME, "Следующий раз — в июне?"),
        (MAX, "Я за, только без дождя 🌧"),
        (ANNA, "Клубника как раз поспеет 🍓"),
    ]
    for who, line in lines + back:
        w.clock.tick(10, 240)
        w.say(who, line)
    w.service(MAX, "remove_members", members=[MAX.name])
    w.service(ANNA, "set_messages_ttl", period=604800)
    w.service(ANNA, "delete_group_photo")
    w.service(ANNA, None, information_text="Анна Смирнова changed the chat wallpaper")
    w.say(DELETED, "Это сообщение от удалённого аккаунта")
    w.service(ANNA, "clear_history")
