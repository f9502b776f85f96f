"""Names and price lists of the demo data set: people in pinyin, shops by city and trade.

Prices are integer fen (never floats); each trade has a few typical price points.
Everything here is plain data plus two pure functions that draw from a seeded
``random.Random``, so the same seed always yields the same names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: The first consumers and merchants created; GraphiQL and the README talk about them.
DEMO_CONSUMER = "Li Lei"
DEMO_MERCHANT = "Hangzhou Tea Co."

_FIRST_CONSUMERS = (DEMO_CONSUMER, "Han Meimei")

SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
    "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng",
    "Cao", "Peng", "Zeng", "Xiao", "Tian", "Dong", "Yuan", "Pan", "Yu", "Jiang", "Cai", "Du", "Ye", "Cheng",
    "Wei", "Su", "Lu", "Ding", "Ren", "Shen", "Yao", "Jin", "Fan", "Fang", "Shi", "Qin", "Dai", "Bai",
)

GIVEN_NAMES = (
    "Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Juan",
    "Tao", "Ming", "Chao", "Xiuying", "Xia", "Ping", "Gang", "Hui", "Meimei", "Xiaoming", "Jianguo", "Haoran",
    "Yuxuan", "Zihan", "Yichen", "Xinyi", "Mingyu", "Jiahao", "Shuang", "Lanlan", "Xiaoyu", "Zhiwei", "Guilan",
    "Hong", "Bo", "Ning", "Lina", "Yifan", "Ziyi", "Tingting", "Wenjie", "Haoyu", "Siyu", "Kai", "Rui", "Xue",
)

#: Typical prices of each trade, in fen.
TRADE_PRICES: dict[str, tuple[int, ...]] = {
    "tea": (3_800, 6_800, 12_800, 25_800, 49_900, 88_800),
    "small goods": (590, 990, 1_590, 2_990, 4_990),
    "electronics": (9_900, 19_900, 59_900, 129_900, 399_900),
    "snacks": (1_280, 2_580, 3_990, 6_880),
    "garments": (7_900, 12_900, 19_900, 39_900),
    "silk": (29_900, 59_900, 128_800),
    "porcelain": (8_800, 26_800, 68_800, 158_800),
    "books": (2_800, 4_500, 6_800, 9_900),
    "cosmetics": (5_900, 12_900, 29_900),
    "furniture": (69_900, 159_900, 329_900),
    "seafood": (6_800, 13_800, 29_800),
    "toys": (1_990, 4_990, 12_900),
}

#: The first merchants, by hand; more are made from cities and trades below.
_FIRST_MERCHANTS = (
    (DEMO_MERCHANT, "tea"),
    ("Yiwu Small Goods Trading", "small goods"),
    ("Shenzhen Huaqiang Electronics", "electronics"),
    ("Chengdu Spicy Snacks", "snacks"),
    ("Suzhou Silk House", "silk"),
    ("Jingdezhen Porcelain Studio", "porcelain"),
    ("Guangzhou Garment Wholesale", "garments"),
    ("Xiamen Seafood Market", "seafood"),
    ("Beijing Hutong Books", "books"),
    ("Shanghai Bund Cosmetics", "cosmetics"),
    ("Foshan Furniture Works", "furniture"),
    ("Shantou Toy Factory Outlet", "toys"),
)

CITIES = (
    "Hangzhou", "Yiwu", "Shenzhen", "Chengdu", "Suzhou", "Guangzhou", "Xiamen", "Beijing", "Shanghai", "Foshan",
    "Shantou", "Nanjing", "Wuhan", "Xi'an", "Chongqing", "Kunming", "Qingdao", "Dalian", "Ningbo", "Wenzhou",
    "Changsha", "Hefei", "Fuzhou", "Jinan", "Harbin", "Guilin", "Lhasa", "Urumqi", "Lanzhou", "Nanning",
)

_TRADE_WORDS: dict[str, tuple[str, ...]] = {
    "tea": ("Tea Co.", "Longjing Tea Garden", "Tea House", "Pu'er Traders"),
    "small goods": ("Small Goods Trading", "Daily Goods Store", "Bazaar"),
    "electronics": ("Electronics", "Digital Mall", "Phone Accessories"),
    "snacks": ("Snacks", "Bakery", "Local Delicacies"),
    "garments": ("Garment Wholesale", "Fashion", "Tailors"),
    "silk": ("Silk House", "Embroidery"),
    "porcelain": ("Porcelain Studio", "Ceramics"),
    "books": ("Books", "Stationery"),
    "cosmetics": ("Cosmetics", "Beauty Store"),
    "furniture": ("Furniture Works", "Home Living"),
    "seafood": ("Seafood Market", "Dried Seafood"),
    "toys": ("Toy Factory Outlet", "Kids' World"),
}


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    name: str
    trade: str

    @property
    def prices(self) -> tuple[int, ...]:
        return TRADE_PRICES[self.trade]


def consumer_names(count: int, rng: random.Random) -> list[str]:
    """``count`` names: Li Lei and Han Meimei first, then common names (repeats happen, as in life)."""
    names = list(_FIRST_CONSUMERS[:count])
    while len(names) < count:
        names.append(f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}")
    return names


def merchant_profiles(count: int, rng: random.Random) -> list[MerchantProfile]:
    """``count`` distinct shops: the hand-picked ones first, then city + trade, then numbered branches."""
    profiles = [MerchantProfile(name, trade) for name, trade in _FIRST_MERCHANTS[:count]]
    taken = {p.name for p in profiles}
    combinations = [(city, trade, word) for city in CITIES for trade, words in _TRADE_WORDS.items() for word in words]
    rng.shuffle(combinations)
    branch = 1
    while len(profiles) < count:
        for city, trade, word in combinations:
            if len(profiles) == count:
                break
            name = f"{city} {word}" if branch == 1 else f"{city} {word} No. {branch}"
            if name not in taken:
                taken.add(name)
                profiles.append(MerchantProfile(name, trade))
        branch += 1
    return profiles
