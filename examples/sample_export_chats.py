# ruff: noqa: RUF001 - the sample text is Cyrillic, Arabic and Japanese on purpose
"""Scenes of the sample's public chats: a forum, a channel, a left group, and the single chat."""

from __future__ import annotations

from make_sample_export import ChatWriter, document, part, photo
from sample_export_lines import (
    ANNA,
    CAFE,
    CARLOS,
    DATAENG,
    FORUM_GENERAL,
    FORUM_JOBS,
    FORUM_OFFTOPIC,
    FORUM_PIPELINES,
    HEART_DOC,
    MARKET,
    MARKET_POSTS,
    MAX,
    ME,
    OMAR,
    PRIYA,
    RUST,
    RUST_LINES,
    YUKI,
    Pool,
    t,
)


def dataeng_forum(w: ChatWriter) -> None:
    """A forum supergroup: joins, topics, replies inside topics, pins, polls, files, code."""
    w.service(CARLOS, "create_channel", title="Data Eng Berlin")
    w.service(
        CARLOS,
        "edit_group_photo",
        photo="photos/photo_3@05-01-2024_20-00-00.jpg",
        photo_file_size=61_220,
        width=640,
        height=640,
    )
    for person, how in (
        (PRIYA, "link"),
        (MAX, "link"),
        (ME, "invite"),
        (OMAR, "request"),
        (YUKI, "link"),
    ):
        w.clock.tick(60, 600)
        if how == "link":
            w.service(person, "join_group_by_link", inviter=CARLOS.name)
        elif how == "request":
            w.service(person, "join_group_by_request")
        else:
            w.service(CARLOS, "invite_members", members=[ME.name])
    w.clock.tick(30, 90)
    w.service(CARLOS, "edit_group_title", title=DATAENG.name)
    welcome = w.say(
        CARLOS,
        t(
            "Welcome everyone 👋 Rules: be kind, no recruiters spam, ",
            part("italic", "English"),
            " in General, any language in topics.",
        ),
    )
    w.service(CARLOS, "pin_message", message_id=welcome)
    topics = {}
    for title in ("Pipelines 🛠", "Jobs / وظائف", "Offtopic ☕"):
        w.clock.tick(1, 5)
        topics[title] = w.service(CARLOS, "topic_created", title=title)
    pipes, jobs, off = topics.values()
    w.clock.tick(5, 20)
    question = w.say(MAX, "How do you all test Airflow DAGs locally?", reply_to=pipes)
    w.clock.tick(2, 10)
    answer = w.say(
        ME,
        t("Мы используем ", part("code", "dag.test()"), " + докер-компоуз с Postgres:"),
        reply_to=question,
    )
    w.say(
        ME,
        t(
            part(
                "pre",
                "def test_dag_loads(dagbag):\n    assert not dagbag.import_errors\n",
                language="python",
            )
        ),
        reply_to=answer,
    )
    w.clock.tick(2, 10)
    w.say(
        MAX,
        t(
            "Thanks ",
            part("mention_name", "Лена", user_id=ME.user_id),
            "! Exactly what I needed 🙏",
        ),
        reply_to=answer,
        reactions=w.react(("❤️", 1), by=[ME]),
    )
    w.say(
        PRIYA,
        "",
        media=document("files/airflow_testing_cheatsheet.pdf", "application/pdf", 412_880),
        reply_to=question,
    )
    w.say(
        PRIYA,
        t(
            "Cheatsheet from our team wiki, see also ",
            part("link", "https://airflow.apache.org/docs/"),
            " ",
            part("hashtag", "#airflow"),
        ),
        reply_to=question,
    )
    w.clock.tick(30, 120)
    poll = {
        "poll": {
            "question": [
                part("plain", "Which orchestrator do you run in "),
                part("bold", "production"),
                part("plain", "?"),
            ],
            "closed": False,
            "total_voters": 17,
            "answers": [
                {"text": "Airflow", "voters": 9, "chosen": True},
                {"text": "Dagster", "voters": 4, "chosen": False},
                {"text": "Prefect", "voters": 2, "chosen": False},
                {"text": "cron + bash 🙈", "voters": 2, "chosen": False},
            ],
        }
    }
    poll_id = w.say(
        CARLOS,
        "",
        media=poll,
        reply_to=pipes,
        reactions=w.react(("🔥", 5), ("👍", 3), by=[MAX, PRIYA, ME]),
    )
    w.service(CARLOS, "pin_message", message_id=poll_id)
    w.clock.tick(10, 60)
    w.say(OMAR, "أي أداة تستخدمون لمراقبة جودة البيانات؟", reply_to=pipes)
    w.say(
        YUKI,
        "",
        media=photo("photos/photo_4@12-01-2024_11-20-00.jpg", 1920, 1080, 402_113),
        reply_to=pipes,
    )
    w.say(YUKI, "うちのパイプライン構成図です 📊 ご意見ください", reply_to=pipes, edited=4)
    w.clock.tick(10, 60)
    w.say(
        MAX,
        "Found on the market channel, the after-party place 😄",
        forwarded_from=MARKET.name,
        reply_to=off,
    )
    w.say(CARLOS, "Does anyone know this stall?", reply_to=7, reply_to_peer=MARKET.peer)
    w.say(
        PRIYA,
        "",
        via_bot="@gif",
        media=document(
            "video_files/giphy.mp4",
            "video/mp4",
            188_113,
            media_type="animation",
            width=480,
            height=270,
            duration_seconds=3,
        ),
        reply_to=off,
    )
    w.service(CARLOS, "topic_edit", new_title="Offtopic ☕ & food")
    w.service(CARLOS, "group_call", duration=3_611)
    w.service(CARLOS, "invite_to_group_call", members=[YUKI.name, OMAR.name])
    w.service(PRIYA, "boost_apply", boosts=2)
    by_topic = {pipes: Pool(FORUM_PIPELINES), off: Pool(FORUM_OFFTOPIC), jobs: Pool(FORUM_JOBS)}
    general = Pool(FORUM_GENERAL)
    recent: dict[int, list[int]] = {pipes: [], off: [], jobs: []}
    rng = w.rng
    for _ in range(19):
        for topic, lines in by_topic.items():
            count = rng.randint(2, 5) if topic != jobs else rng.randint(0, 1)
            for who, line in lines.take(count):
                w.clock.tick(20, 400)
                target = topic
                if recent[topic] and rng.random() < 0.35:
                    target = recent[topic][-1]  # answering the previous line of the topic
                reactions = None
                if rng.random() < 0.2:
                    reactions = w.react(
                        (rng.choice(["👍", "🔥", "❤️", "🙏", "😂"]), rng.randint(1, 4))
                    )
                recent[topic].append(
                    w.say(
                        who,
                        line,
                        reply_to=target,
                        reactions=reactions,
                        gap=1 if rng.random() < 0.05 else 0,
                    )
                )
        w.clock.tick(60, 300)
        for who, line in general.take(1):
            w.say(who, line)
    w.service(MAX, "remove_members", members=[MAX.name])
    w.say(
        DATAENG,
        "Anonymous admin post: the group will be read-only during the migration on Sunday",
        author="Carlos",
    )


def market_channel(w: ChatWriter) -> None:
    """A channel: posts with photos, video, audio, polls, places, reactions, signatures."""
    w.service(MARKET, "create_channel", title="東京夜市")
    w.service(MARKET, "edit_group_title", title=MARKET.name)
    w.service(
        MARKET,
        "edit_group_photo",
        photo="photos/photo_5@02-01-2024_18-00-00.jpg",
        photo_file_size=52_011,
        width=640,
        height=640,
    )
    rng = w.rng
    fans = [ANNA, ME, YUKI, OMAR, PRIYA]
    for index, post in enumerate(MARKET_POSTS):
        w.clock.tick(300, 1800)
        media = None
        roll = rng.random()
        if roll < 0.3:
            media = photo(
                f"photos/photo_{index + 10}@night.jpg", 1280, 853, rng.randint(90_000, 400_000)
            )
        elif roll < 0.38:
            media = document(
                f"video_files/stall_{index}.mp4",
                "video/mp4",
                rng.randint(2_000_000, 9_000_000),
                media_type="video_file",
                duration_seconds=rng.randint(8, 60),
                width=1080,
                height=1920,
            )
        reactions = w.react(
            (rng.choice(["🔥", "❤️", "😍", "👍", "🤤"]), rng.randint(3, 240)),
            (rng.choice(["🎉", "🙏", "👏"]), rng.randint(1, 40)),
            *([(f"custom:{HEART_DOC}", rng.randint(1, 15))] if rng.random() < 0.3 else []),
            *([("paid", rng.randint(1, 50))] if rng.random() < 0.1 else []),
            by=fans,
        )
        w.say(
            MARKET,
            post,
            media=media,
            reactions=reactions,
            gap=1 if rng.random() < 0.08 else 0,
            author=rng.choice([None, None, "Yuki", "Ken"]),
            edited=30 if rng.random() < 0.1 else None,
        )
        if index == 12:
            w.say(
                MARKET,
                "",
                media=document(
                    "files/night_market_theme.mp3",
                    "audio/mpeg",
                    4_818_221,
                    media_type="audio_file",
                    performer="The Lanterns",
                    title="夜市のテーマ",
                    duration_seconds=187,
                ),
            )
        if index == 30:
            w.say(
                MARKET,
                "",
                media={
                    "place_name": "Night Market North Gate",
                    "address": "1-2-3 Kitashinagawa, Tokyo",
                    "location_information": {"latitude": 35.622451, "longitude": 139.741912},
                },
            )
            w.service(MARKET, "group_call", duration=5_400)
        if index == 45:
            poll = {
                "poll": {
                    "question": "どの屋台が好き？ Favourite stall?",
                    "closed": True,
                    "total_voters": 1_204,
                    "answers": [
                        {"text": "たこ焼き", "voters": 512, "chosen": False},
                        {"text": "Momo 🥟", "voters": 388, "chosen": True},
                        {"text": "焼きとうもろこし", "voters": 304, "chosen": False},
                    ],
                }
            }
            pinned = w.say(MARKET, "", media=poll)
            w.service(MARKET, "pin_message", message_id=pinned)
        if index == 38:
            w.say(
                MARKET,
                "",
                media={
                    "giveaway_information": {
                        "quantity": 3,
                        "months": 3,
                        "until_date": "2024-04-01T12:00:00",
                        "channels": [MARKET.user_id],
                        "countries": ["JP"],
                        "additional_prize": "屋台の食事券",
                        "stars": 0,
                        "is_only_new_subscribers": False,
                    }
                },
            )
        if index == 20:
            w.say(
                MARKET,
                t(
                    "🎂 The night market turns five! ",
                    part("bold", "Thank you"),
                    " for every visit ",
                    part("custom_emoji", "❤️", document_id=HEART_DOC),
                ),
                reactions=w.react(("🎉", 310), (f"custom:{HEART_DOC}", 41), ("paid", 12), by=fans),
            )
        if index == 48:
            w.say(MARKET, "Exclusive backstage photos 📸", media={"paid_stars_amount": 25})


def rust_left(w: ChatWriter) -> None:
    """A supergroup the owner left: it is listed under left_chats."""
    w.service(MAX, "create_channel", title=RUST.name)
    w.service(ME, "join_group_by_link", inviter=MAX.name)
    for who, line in RUST_LINES:
        w.clock.tick(30, 600)
        w.say(who, line)
    w.service(ME, "remove_members", members=[ME.name])


def cafe_single(w: ChatWriter) -> None:
    """The single-chat sample: a small forum supergroup, one of each common thing."""
    w.service(YUKI, "create_channel", title="Café Polyglot")
    w.service(ANNA, "join_group_by_link", inviter=YUKI.name)
    w.service(OMAR, "join_group_by_link", inviter=YUKI.name)
    w.service(YUKI, "edit_group_title", title=CAFE.name)
    hello = w.say(
        YUKI, t("👋🏽 Welcome! ", part("bold", "Every Tuesday"), " 19:00 at Café Mondo 🗓")
    )
    w.service(YUKI, "pin_message", message_id=hello)
    ru = w.service(YUKI, "topic_created", title="Русский 🇷🇺")
    ar = w.service(YUKI, "topic_created", title="العربية")
    q = w.say(OMAR, "Как сказать «I am learning Russian»?", reply_to=ru)
    a = w.say(
        ANNA,
        t("«Я учу русский» — ", part("italic", "ja uchu russkij")),
        reply_to=q,
        reactions=w.react(("🙏", 1), by=[OMAR]),
    )
    w.say(OMAR, "Спасибо! 😊", reply_to=a, edited=1)
    w.say(ANNA, "كيف أقول «شكرا جزيلا» بشكل رسمي؟", reply_to=ar)
    w.say(OMAR, t("«", part("bold", "شكرًا جزيلًا"), "» مناسبة تمامًا 👍"), reply_to=ar)
    w.say(YUKI, "", media=photo("photos/photo_1@09-04-2024_19-30-00.jpg", 1600, 1200, 311_004))
    w.say(
        YUKI,
        "今日の参加者 📸 👨‍👩‍👧‍👦",
        reactions=w.react(("❤️", 3), ("🔥", 1), by=[ANNA, OMAR, ME]),
    )
    w.say(ANNA, "", media=document("files/phrasebook.pdf", "application/pdf", 98_112), reply_to=ru)
    w.say(
        OMAR,
        "",
        media=document(
            "voice_messages/audio_1@09-04-2024_20-01-00.ogg",
            "audio/ogg",
            33_871,
            media_type="voice_message",
            duration_seconds=12,
        ),
        reply_to=ar,
    )
    w.say(
        YUKI,
        t(
            "Next time: ",
            part("text_link", "Café Mondo", href="https://example.org/mondo"),
            " ",
            part("custom_emoji", "☕", document_id=HEART_DOC),
        ),
        forwarded_from=None,
    )
    w.unsupported()
    w.service(YUKI, "topic_edit", new_title="Русский язык 🇷🇺")
    w.say(ME, "Can I join next week? 🙋‍♀️", gap=2)
    w.service(ME, "join_group_by_request")
