# ruff: noqa: RUF001 - the sample text is Cyrillic, Arabic and Japanese on purpose
"""Hand-written people and lines of the sample exports (see make_sample_export.py).

Every line below was written for this sample. Scenes (sample_export_private.py,
sample_export_chats.py) use some lines once and hand out the pools of everyday
lines in order through :class:`Pool`, so the sample reaches a realistic size
(500+ messages) without copying anyone's data. Phone numbers use the
+44 7700 900xxx range reserved for fiction.
"""

from __future__ import annotations

from typing import Any

from make_sample_export import Channel, Person

ME = Person(5107788123, "Лена Соколова", "lena_sokol")
ANNA = Person(6234509876, "Анна Смирнова")
OMAR = Person(5893312044, "عمر حداد")
YUKI = Person(7011245590, "田中 由紀")
CARLOS = Person(1844213370, "Carlos Mendes")
PRIYA = Person(2093388451, "Priya Nair")
MAX = Person(1398861102, "Max Bauer")
DELETED = Person(1122334455, None)  # type: ignore[arg-type]
BOT = Person(6100223344, "Forecast Helper", "forecast_helper_bot")
MARKET = Channel(1987654321, "Tokyo Night Market 東京夜市")
DATAENG = Channel(1765432109, "Data Eng Berlin & Remote")
RUST = Channel(1555000111, "Rust Meetup Москва")
CAFE = Channel(1633221100, "Café Polyglot ☕")
HEART_DOC = "5368324170671202286"  # a custom emoji document id

# -- pools of everyday lines ---------------------------------------------------------

ANNA_SMALL_TALK = [
    (ANNA, "Доброе утро! Как спалось на новом месте?"),
    (ME, "Почти не спала, соседи сверлили до полуночи 🙃"),
    (ANNA, "Купила билеты на 14-е, поезд в 8:40 🎫"),
    (ME, "Отлично, я тогда возьму такси до вокзала"),
    (ANNA, "Ты видела, что в Берлине снова забастовка транспорта?"),
    (ME, "Да, сегодня шла на работу пешком 40 минут"),
    (ME, "Зато нашла очень милую пекарню по дороге 🥐"),
    (ANNA, "Скинь адрес, в следующий раз вместе зайдём"),
    (ANNA, "Мама спрашивает, приедешь ли на майские"),
    (ME, "Скорее да, но билеты ещё не смотрела"),
    (ME, "How is the new job going? 😊"),
    (ANNA, "Busy but fun. The team is mostly in Lisbon, so lots of calls"),
    (ANNA, "Смотри, что я нашла на антресолях — наши детские фотки!"),
    (ME, "Ахаха, этот свитер с оленями 🦌"),
    (ANNA, "Напомни, как называлась та книга про Японию?"),
    (ME, "«Империя знаков» Барта"),
    (ANNA, "Спасибо! Заказала"),
    (ME, "Сегодня первый раз сама починила велосипед 🚲"),
    (ANNA, "Горжусь! Фото в студию"),
    (ANNA, "Ты не забыла про день рождения Миши в субботу?"),
    (ME, "Нет, подарок уже купила — настольная игра"),
    (ME, "Какая погода у вас? Тут +3 и дождь"),
    (ANNA, "-12 и солнце ☀️ красота, но холодно"),
    (ANNA, "Я записалась на курсы испанского 🇪🇸"),
    (ME, "¡Qué bien! Будем практиковаться вместе"),
    (ME, "Помнишь рецепт бабушкиных сырников?"),
    (ANNA, "Творог, яйцо, две ложки муки, щепотка соли. И никакого сахара в тесте!"),
    (ANNA, "Посмотрела наконец «Perfect Days», ты была права"),
    (ME, "Правда же? Я до сих пор про неё думаю"),
    (ME, "Кстати, нашла квартиру поближе к офису"),
    (ANNA, "Ура! Когда переезд?"),
    (ME, "В начале марта, если всё подпишем"),
    (ANNA, "Нужна помощь с коробками — зови"),
    (ME, "Позвоню вечером, сейчас на встрече"),
    (ANNA, "Ок, я до 23 не сплю"),
    (ANNA, "Ты как? Давно не писала"),
    (ME, "Всё хорошо, просто завал на работе. Релиз в пятницу"),
    (ANNA, "Держись 💪"),
    (ME, "Спасибо ❤️"),
    (ANNA, "Смотри, какой закат сегодня 🌅"),
    (ME, "Я записалась в бассейн рядом с домом 🏊‍♀️"),
    (ANNA, "Вот это да! Сколько раз в неделю?"),
    (ME, "Пока два, утром перед работой"),
    (ANNA, "Слушай, а ты ещё рисуешь?"),
    (ME, "Иногда, по выходным. Скучаю по нашим этюдам на даче"),
    (ANNA, "Летом обязательно съездим"),
    (ME, "Коллеги позвали на караоке 🎤 боюсь"),
    (ANNA, "Пой «Группу крови», всегда срабатывает 😄"),
    (ANNA, "Папа передаёт привет и спрашивает про немецкий"),
    (ME, "Скажи, что я уже понимаю почти всё в булочной 🥨"),
    (ANNA, "Я сегодня пробежала 10 км!"),
    (ME, "Ничего себе! Поздравляю 🏃‍♀️"),
    (ME, "Ты не помнишь пароль от нашего общего облака?"),
    (ANNA, "Он у мамы в блокноте, спрошу вечером"),
    (ANNA, "Мне предложили командировку в Лиссабон"),
    (ME, "Соглашайся! Там сейчас +20 ☀️"),
    (ANNA, "Уже собираю чемодан 🧳"),
    (ME, "Привези паштел-де-ната, пожалуйста 🙏"),
    (ME, "Смотрю «Тьму», жуткий сериал"),
    (ANNA, "Я бросила на втором сезоне, слишком запутанно"),
    (ME, "Завтра первый день на новой квартире 🏠"),
    (ANNA, "Ура! Присылай фото"),
    (ANNA, "Купи себе фикус на новоселье 🪴"),
    (ME, "Уже купила, назвала Гюнтер"),
    (ANNA, "Гюнтер 😂 идеально"),
    (ME, "Здесь все ходят с тканевыми сумками, я тоже завела"),
    (ANNA, "В Москве тоже так начинают"),
    (ME, "Спокойной ночи 🌙"),
    (ANNA, "Спокойной! Обнимаю"),
    (ANNA, "Ты видела новые фотки Миши из похода? 🏔"),
    (ME, "Да! Где это, Алтай?"),
    (ANNA, "Хибины. Зовёт нас летом с собой"),
    (ME, "Я бы с радостью, если отпуск дадут"),
    (ME, "Сегодня сдала B1 по немецкому 🎉"),
    (ANNA, "Умница!!! Отмечаем!"),
    (ANNA, "Подскажи хороший подкаст про историю"),
    (ME, "«Эхо веков» или на английском The Rest Is History"),
    (ME, "У нас в офисе завели собаку, её зовут Кнопка 🐶"),
    (ANNA, "Требую фото Кнопки"),
    (ANNA, "Нашла наш старый фотоаппарат, Зенит ещё работает 📷"),
    (ME, "Плёнку сейчас где проявить — отдельный квест"),
    (ME, "Какой у тебя размер обуви? Тут распродажа"),
    (ANNA, "38, но не покупай без меня 😅"),
    (ANNA, "Я записала тебе голосовое, послушай, когда будет время"),
    (ME, "Послушала, смеялась полчаса 😂"),
    (ME, "На работе дали премию, поеду в Вену на выходные"),
    (ANNA, "Съешь там штрудель за меня 🥧"),
    (ANNA, "Как думаешь, маме понравится шарф?"),
    (ME, "Если синий — точно да 💙"),
]

ANNA_EMOJI = ["👍", "❤️", "😂", "🔥", "🥰", "😢", "🙏"]

FORUM_PIPELINES = [
    (CARLOS, "Our nightly Airflow DAG is down to 38 minutes after moving the joins into dbt"),
    (PRIYA, "Nice! Did you keep the incremental models or rebuild everything?"),
    (CARLOS, "Incremental on event_date, full refresh only on Sundays"),
    (MAX, "Has anyone tried Meltano with a Singer target for Postgres in production?"),
    (ME, "Да, у нас так грузятся данные из CRM уже полгода, стабильно"),
    (ME, "Главное — state хранить не локально, а в S3"),
    (OMAR, "نستخدم Kafka مع Debezium لنقل التغييرات من MySQL"),
    (OMAR, "The lag is usually under two seconds"),
    (YUKI, "うちのチームはBigQueryに移行中です"),
    (YUKI, "コストの見積もりが一番大変でした 😅"),
    (PRIYA, "Partition pruning saved us about 60% on BigQuery scans"),
    (MAX, "Is anyone going to the dbt meetup on Thursday?"),
    (CARLOS, "I'll be there, giving a lightning talk on data contracts"),
    (ME, "Кто-нибудь сравнивал DuckDB и Polars на больших parquet?"),
    (PRIYA, "DuckDB won for us on joins, Polars on wide transformations"),
    (OMAR, "شكرا على المشاركة، مفيد جدا"),
    (MAX, "Reminder: never run VACUUM FULL on the primary during business hours 🙈"),
    (YUKI, "スキーマ変更のレビューはどうしていますか？"),
    (CARLOS, "We use a PR template with a mandatory 'downstream impact' section"),
    (
        ME,
        "Мы добавили проверку в CI: если меняется колонка, гоняем тесты dbt по зависимым моделям",
    ),
    (PRIYA, "Great Expectations or dbt tests?"),
    (ME, "dbt tests + немного кастомных SQL-проверок"),
    (OMAR, "هل جرب أحد Iceberg مع Trino؟"),
    (MAX, "We run Iceberg on Trino, compaction jobs are the tricky part"),
    (YUKI, "ありがとうございます！参考になります"),
    (PRIYA, "How do you handle late-arriving events in daily partitions?"),
    (CARLOS, "We reprocess the last three days every night, cheap enough"),
    (ME, "Мы храним ingestion_time отдельно и пересчитываем только затронутые дни"),
    (MAX, "Anyone has a good pattern for backfills in Airflow without killing the scheduler?"),
    (OMAR, "نقسم الـ backfill إلى دفعات صغيرة مع max_active_runs=2"),
    (YUKI, "dbtのマクロでテストを共通化しました"),
    (PRIYA, "Can you share it? We copy-paste the same test everywhere 🙈"),
    (YUKI, "はい、来週GitHubに公開します"),
    (CARLOS, "PSA: Postgres 16 logical replication finally works well with partitions"),
    (MAX, "Our Singer tap for the billing API now does incremental sync by updated_at"),
    (ME, "А как вы храните state между запусками? Мы — в Meltano system db"),
    (MAX, "Same, Postgres backend for the system db"),
    (OMAR, "تجربتي مع Airbyte كانت جيدة، لكن الموارد كثيرة"),
    (PRIYA, "Has anyone tried the new dbt unit tests?"),
    (CARLOS, "Yes, great for macros, slow for big models"),
    (YUKI, "データカタログは何を使っていますか？"),
    (ME, "DataHub, но честно говоря, им мало кто пользуется"),
    (MAX, "Same story with Amundsen here 😅"),
    (OMAR, "السر هو التوثيق داخل الكود"),
    (PRIYA, "We generate docs from dbt and link them from Slack, usage doubled"),
]

FORUM_OFFTOPIC = [
    (MAX, "Best Döner near Warschauer Straße? Asking for the meetup after-party"),
    (CARLOS, "Mustafa's is overrated, try the place next to the U-Bahn exit"),
    (YUKI, "ベルリンの冬は長いですね ❄️"),
    (ME, "Зато весной тут очень красиво, потерпи 🌸"),
    (OMAR, "رمضان كريم للجميع 🌙"),
    (PRIYA, "Ramadan Mubarak Omar! 🌙"),
    (MAX, "Who is up for climbing on Sunday? 🧗"),
    (CARLOS, "Count me in"),
    (YUKI, "来週、日本からお菓子を持ってきます 🍡"),
    (PRIYA, "Yuki you are the best"),
    (ME, "Кто-нибудь знает хорошего стоматолога, говорящего по-английски?"),
    (MAX, "Dr. Weber in Friedrichshain, very patient"),
    (OMAR, "شاهدت مباراة الأمس؟ ⚽"),
    (CARLOS, "Obrigado for the tips everyone 🙏"),
    (PRIYA, "Anyone selling a bike? Mine got stolen at Ostkreuz 😤"),
    (ME, "Попробуй Kleinanzeigen, у меня там за неделю нашёлся"),
    (YUKI, "花粉症の季節がもうすぐです 🤧"),
    (MAX, "Tip: the Thai market in Preußenpark is back on weekends 🍜"),
    (OMAR, "أفضل مكان للقهوة في كرويتسبرغ؟ ☕"),
    (CARLOS, "Bonanza on Oderberger, best flat white in town"),
    (YUKI, "日曜日に写真散歩しませんか？📷"),
    (ME, "Я за! Только не слишком рано 😴"),
    (PRIYA, "Board game night at mine on Friday 🎲 bring snacks"),
    (MAX, "I'll bring Catan and too many pretzels 🥨"),
    (OMAR, "عيد مبارك للجميع 🎉"),
    (CARLOS, "Eid Mubarak! 🎉"),
    (PRIYA, "Anyone knows a good Indian grocery in Wedding?"),
    (MAX, "The one on Müllerstraße has everything, even fresh curry leaves"),
    (YUKI, "ベルリンでおいしいラーメン屋を知っていますか？🍜"),
    (CARLOS, "Cocolo in Mitte, always a queue but worth it"),
    (YUKI, "今日は雪です！ベルリンで初めて見ました ❄️"),
    (ME, "Поздравляю с первым снегом в Берлине ☃️"),
    (MAX, "Spree is frozen near Treptower Park, careful out there"),
]

FORUM_JOBS = [
    (PRIYA, "We're hiring a senior analytics engineer, hybrid Berlin, EN only. DM me"),
    (OMAR, "شركتنا تبحث عن مهندس بيانات في دبي، العمل عن بعد ممكن"),
    (CARLOS, "Freelance gig: migrate 40 Talend jobs to Airflow, ~3 months"),
    (YUKI, "東京のスタートアップでデータエンジニア募集中です"),
    (MAX, "Junior data engineer position at a climate startup, visa sponsorship available 🌱"),
    (ME, "У нас открыта позиция аналитика, русский или английский, Берлин/удалёнка"),
    (PRIYA, "Contract role: 6 months of Snowflake cost optimisation, remote EU"),
    (OMAR, "فرصة تدريب صيفي في هندسة البيانات، الرياض"),
]

MARKET_POSTS = [
    "今夜のおすすめ：焼きとうもろこし🌽 醤油バターの香りがたまらない",
    "Tonight: the takoyaki stall by the north gate is back after the holidays 🐙",
    "雨の日は屋根付きエリアで営業しています ☔",
    "New vendor alert: Nepalese momo with sesame-tomato chutney 🥟",
    "本日のラストオーダーは22:30です",
    "Cash only at most stalls — there is an ATM at the Lawson across the street 💴",
    "金曜日はライブ演奏あり🎷 19時から",
    "Sold out: the yuzu kakigori. Thank you for the queue, it reached the fountain!",
    "寒い夜には甘酒をどうぞ ☕ 一杯300円",
    "Reminder: bring your own bag, we are going plastic-free this season ♻️",
    "今週末は桜まつり特別営業 🌸 23時まで",
    "Lost and found: a blue umbrella and a child's mitten. Ask at the info tent",
    "たこ焼き屋さんの新メニュー、明太チーズが人気です",
    "Photo walk on Saturday 18:00, meet at the red lantern 📷",
    "本日は強風のため一部の屋台がお休みです 🌬️",
    "Vegan options map updated, thanks to everyone who sent corrections 🥦",
    "焼き鳥の列は20分待ちです",
    "The night market turns 5 this month! 🎉",
    "今夜は満月です 🌕 屋上テラスも開放中",
    "Stall of the week: Mrs. Ito's handmade chopsticks 🥢",
    "お祭り期間中はゴミの分別にご協力ください",
    "We are looking for volunteers for the summer edition 🙋",
    "夏限定：冷やしきゅうり一本100円 🥒",
    "Heavy rain expected after 21:00, plan accordingly 🌧️",
    "最終日のご来場ありがとうございました！また来月 👋",
    "Kids' lantern workshop on Sunday afternoon, free 🏮",
    "新しい屋台：台湾の胡椒餅、外はカリッと中はジューシー",
    "Quiz night at the beer stand, teams of four max 🍺",
    "今夜の混雑状況：やや混雑",
    "Thank you for 10,000 subscribers! 🙌",
    "今夜のスペシャル：抹茶わらび餅 🍵",
    "The dumpling stall now takes cards 💳 finally!",
    "明日は臨時休業です。また金曜日に！",
    "Our map of the stalls, printed on recycled paper, is at the entrance 🗺️",
    "焼きそばの屋台、今日から大盛りあり",
    "Tonight's DJ set starts at 20:00 on the rooftop 🎧",
    "子ども向けの金魚すくい、今週末限定 🐟",
    "Lost: a black camera strap near the takoyaki stall. Found? DM us",
    "寒い日はおでんが一番 🍢",
    "Thanks for keeping the market clean, the bins were almost empty tonight ♻️",
    "新メニュー：黒ごまアイス 🍨",
    "Local ceramics fair next to the market this Sunday 🏺",
    "今日のBGMは地元の高校吹奏楽部です 🎺",
    "Queue tip: the north gate moves faster after 21:00",
    "月末はポイント2倍デー",
    "Rain stopped, all stalls are open again 🌤️",
    "屋台の皆さん、今年もありがとうございました 🙇",
    "Spring menu starts next week: sakura mochi and strawberry daifuku 🍓",
    "今夜はやや寒いので温かい服装で 🧣",
    "We'll post the summer schedule tomorrow 📅",
]

RUST_LINES = [
    (MAX, "Кто идёт на митап в четверг? Будет доклад про async в embedded"),
    (CARLOS, "I'll join online, is there a stream?"),
    (MAX, "Да, ссылка будет в закрепе"),
    (YUKI, "Rust 2024 edition、楽しみです 🦀"),
    (PRIYA, "Anyone migrated from tokio 0.2 recently? Painful?"),
    (MAX, "Было больно, но clippy помогает"),
    (OMAR, "هل هناك تسجيل للمحاضرة السابقة؟"),
    (MAX, "Запись выложим на YouTube на следующей неделе"),
    (PRIYA, "Is there a Rust job board you'd recommend in Moscow or remote?"),
    (MAX, "Смотри закреп, там подборка"),
    (CARLOS, "The borrow checker finally clicked for me this week 🎉"),
    (YUKI, "おめでとうございます！"),
    (MAX, "Следующая встреча — 21-го, тема: WebAssembly"),
    (OMAR, "شكرا للمنظمين 🙏"),
    (CARLOS, "Can someone share the slides from the async talk?"),
    (MAX, "Добавил в закреп 📌"),
    (PRIYA, "serde or miniserde for a tiny CLI?"),
    (MAX, "serde, не экономьте на спичках"),
]


FORUM_GENERAL = [
    (CARLOS, "Reminder: meetup on Thursday at 19:00, Factory Görlitzer Park"),
    (PRIYA, "Please keep job posts in the Jobs topic 🙏"),
    (MAX, "Welcome to the new members 👋 introduce yourselves!"),
    (CARLOS, "Meetup slides are in the pinned message 📌"),
    (PRIYA, "Call for speakers: 10-minute lightning talks, any data topic 🎤"),
    (CARLOS, "Next meetup is hosted by a climate startup in Kreuzberg, pizza included 🍕"),
    (MAX, "Thanks everyone who came yesterday, 48 people! 🙌"),
    (PRIYA, "The recording of the dbt talk is up, link in the pinned message"),
    (CARLOS, "We have a code of conduct now, please read it (pinned) 📜"),
    (MAX, "Poll for the next meetup date coming tomorrow"),
    (PRIYA, "Reminder: meetup on Thursday, this time at the Mitte office"),
    (CARLOS, "Happy new month! Share what you shipped in February 🚀"),
    (MAX, "Quiet week, everyone on holiday? 😄"),
    (PRIYA, "Welcome Yuki and Omar, our first members from Tokyo and Dubai 🌍"),
    (CARLOS, "Reminder: no recruiters outside the Jobs topic, please"),
]


class Pool:
    """Hand-written lines handed out in order; starts over only when all were used."""

    def __init__(self, lines: list[Any]) -> None:
        self.lines = lines
        self.next = 0

    def take(self, count: int) -> list[Any]:
        """The next ``count`` lines."""
        out = [self.lines[(self.next + index) % len(self.lines)] for index in range(count)]
        self.next += count
        return out


def t(*parts: Any) -> list[Any]:
    """Text made of plain strings and formatted parts."""
    return list(parts)
