"""Vocabularies for the synthetic demo data: regions, names, people and their careers.

Plain data only. Real place names are used for 河北省 and 张家口市 (the source study's
city); everything below county level, and every person, is invented. Weighted lists are
(value, weight) pairs so the generator can precompute cumulative weights once.
"""

from __future__ import annotations

from faker.providers.address.zh_CN import Provider as _AddressProvider
from faker.providers.person.zh_CN import Provider as _PersonProvider

# Tables of Chinese text: ruff counts each character as two columns, and one entry
# per line is easier to read than the formatter's one value per line.
# ruff: noqa: E501
# fmt: off

PROVINCE = ("130000", "河北省", "河北")

# 张家口市 and its 16 real counties/districts (GB/T 2260). ``urban`` districts are made of
# 街道 rather than 乡镇.
ZHANGJIAKOU = ("130700", "张家口市", "张家口")
ZJK_COUNTIES: tuple[tuple[str, str, bool], ...] = (
    ("130702", "桥东区", True),
    ("130703", "桥西区", True),
    ("130705", "宣化区", False),
    ("130706", "下花园区", True),
    ("130708", "万全区", False),
    ("130709", "崇礼区", False),
    ("130722", "张北县", False),
    ("130723", "康保县", False),
    ("130724", "沽源县", False),
    ("130725", "尚义县", False),
    ("130726", "蔚县", False),
    ("130727", "阳原县", False),
    ("130728", "怀安县", False),
    ("130730", "怀来县", False),
    ("130731", "涿鹿县", False),
    ("130732", "赤城县", False),
)
# Codes that older ID numbers still carry (宣化县, 万全县, 崇礼县 before they became districts).
ZJK_FORMER_CODES = ("130721", "130729", "130733")

# The other ten prefecture cities of 河北, used at province scale with synthetic counties.
OTHER_CITIES: tuple[tuple[str, str, str], ...] = (
    ("130100", "石家庄市", "石家庄"),
    ("130200", "唐山市", "唐山"),
    ("130300", "秦皇岛市", "秦皇岛"),
    ("130400", "邯郸市", "邯郸"),
    ("130500", "邢台市", "邢台"),
    ("130600", "保定市", "保定"),
    ("130800", "承德市", "承德"),
    ("130900", "沧州市", "沧州"),
    ("131000", "廊坊市", "廊坊"),
    ("131100", "衡水市", "衡水"),
)

# Faker's district names give synthetic counties a real-sounding ring; the generated
# combinations below take over once they run out.
FAKER_DISTRICTS: tuple[str, ...] = tuple(_AddressProvider.districts)
PLACE_FIRST = tuple(
    "东西南北新大小上下前后高白黄青红石金银铁马牛羊鹿龙凤柳杨桃杏榆松柏李王张刘赵孙周吴"
    "郭何宋韩冯邓曹许安平永兴宁清长广丰隆昌富乐太双三五六八古旧岔"
)
PLACE_SECOND = tuple("庄堡营屯河沟湾坡店集台岭峪寨关井桥泉口滩窑坪洼城园山峰塘梁渠")
VILLAGE_MIDDLE = "家"  # 王家庄, 杨家坪: the commonest northern village pattern

SURNAMES: tuple[tuple[str, float], ...] = tuple(_PersonProvider.last_names.items())
GIVEN_MALE: tuple[str, ...] = tuple(_PersonProvider.first_names_male)
GIVEN_FEMALE: tuple[str, ...] = tuple(_PersonProvider.first_names_female)
# Second characters that make two-character given names, which most people under 60 have.
GIVEN_MALE_SECOND = tuple("伟强磊军杰涛明刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林阳亮成峰晨瑞博彬坤岩")
GIVEN_FEMALE_SECOND = tuple("芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰琳雪梅慧莹婷洁晶颖倩琪欣悦佳")

# 河北's 少数民族 are mostly 满族 and 蒙古族 (north) and 回族 (everywhere).
ETHNICITIES: tuple[tuple[str, float], ...] = (
    ("汉族", 95.0), ("满族", 2.2), ("蒙古族", 1.2), ("回族", 1.2), ("朝鲜族", 0.1),
    ("土家族", 0.08), ("壮族", 0.08), ("苗族", 0.05), ("藏族", 0.04), ("维吾尔族", 0.03),
)

# Age buckets for staff on the establishment: thin at both ends, bulk between 35 and 55.
AGE_BUCKETS: tuple[tuple[tuple[int, int], float], ...] = (
    ((22, 25), 5), ((26, 30), 10), ((31, 35), 13), ((36, 40), 16),
    ((41, 45), 18), ((46, 50), 18), ((51, 55), 14), ((56, 59), 6),
)
FEMALE_MAX_AGE = 57  # the 2025 retirement reform raises 55 step by step

# Education mix per staffing profile: (研究生, 本科, 专科, 中专, 高中及以下).
EDUCATION_MIX: dict[str, tuple[float, float, float, float, float]] = {
    "organ": (20, 70, 9, 1, 0),
    "legal": (16, 74, 9, 1, 0),
    "township": (3, 55, 35, 5, 2),
    "teaching": (8, 70, 20, 2, 0),
    "medical": (12, 55, 28, 5, 0),
    "general": (8, 60, 25, 5, 2),
    "offquota": (1, 25, 40, 18, 16),
}

SCHOOLS_TOP = (
    "中国人民大学", "北京师范大学", "中国政法大学", "南开大学", "天津大学", "北京大学",
    "兰州大学", "山西大学", "内蒙古大学", "东北师范大学", "中国农业大学", "北京交通大学",
)
SCHOOLS_HEBEI = (
    "河北大学", "河北师范大学", "燕山大学", "河北北方学院", "张家口学院", "河北经贸大学",
    "河北科技大学", "河北工程大学", "河北地质大学",
    "河北建筑工程学院", "石家庄铁道大学", "华北理工大学", "河北金融学院", "河北工业大学",
)
SCHOOLS_BY_PROFILE: dict[str, tuple[str, ...]] = {
    "medical": ("河北医科大学", "河北北方学院", "承德医学院", "华北理工大学", "河北中医药大学"),
    "teaching": ("河北师范大学", "张家口学院", "廊坊师范学院", "唐山师范学院", "衡水学院",
                 "邢台学院", "沧州师范学院", "保定学院", "石家庄学院", "邯郸学院"),
    "legal": ("河北大学", "中国政法大学", "中国人民公安大学", "河北警察学院", "西南政法大学",
              "河北经贸大学"),
    "agri": ("河北农业大学", "河北科技师范学院", "河北北方学院", "中国农业大学"),
    "engineering": ("河北建筑工程学院", "河北工程大学", "河北工业大学", "燕山大学",
                    "石家庄铁道大学", "河北地质大学"),
}
SCHOOLS_COLLEGE = (
    "张家口职业技术学院", "河北政法职业学院", "石家庄职业技术学院", "河北交通职业技术学院",
    "宣化科技职业学院", "河北女子职业技术学院", "石家庄铁路职业技术学院",
    "河北化工医药职业技术学院", "唐山职业技术学院", "河北软件职业技术学院",
)
SCHOOLS_COLLEGE_BY_PROFILE: dict[str, tuple[str, ...]] = {
    "medical": ("石家庄医学高等专科学校", "沧州医学高等专科学校", "邢台医学高等专科学校",
                "承德护理职业学院", "张家口职业技术学院"),
    "teaching": ("张家口学院", "保定幼儿师范高等专科学校", "河北民族师范学院",
                 "廊坊职业技术学院"),
}
SCHOOLS_SECONDARY = (
    "张家口市职业技术教育中心", "河北经济管理学校", "河北省城乡建设学校", "张家口市卫生学校",
    "河北省农业机械化学校", "张家口市财经学校",
)

SPECIALTIES: dict[str, tuple[str, ...]] = {
    "organ": ("法学", "汉语言文学", "行政管理", "经济学", "会计学", "计算机科学与技术",
              "公共事业管理", "新闻学", "思想政治教育", "财务管理", "工商管理", "社会学",
              "马克思主义理论", "英语", "历史学", "秘书学"),
    "legal": ("法学", "侦查学", "治安学", "刑事科学技术", "法学", "公安管理学", "法律事务"),
    "finance": ("财政学", "会计学", "审计学", "金融学", "统计学", "经济学", "税收学"),
    "engineering": ("土木工程", "建筑学", "城乡规划", "测绘工程", "交通工程", "给排水科学与工程",
                    "工程管理", "土地资源管理", "水利水电工程", "环境工程"),
    "agri": ("农学", "植物保护", "动物医学", "园艺", "林学", "农业资源与环境", "畜牧兽医",
             "草业科学", "农业经济管理"),
    "medical": ("临床医学", "护理学", "中医学", "医学影像学", "药学", "医学检验技术",
                "预防医学", "麻醉学", "口腔医学", "康复治疗学"),
    "public_health": ("预防医学", "卫生检验与检疫", "公共事业管理", "临床医学", "护理学"),
    "teaching": ("汉语言文学", "数学与应用数学", "英语", "物理学", "化学", "生物科学",
                 "历史学", "地理科学", "思想政治教育", "体育教育", "音乐学", "美术学",
                 "小学教育", "学前教育", "计算机科学与技术", "心理学"),
    "culture": ("汉语言文学", "新闻学", "广播电视学", "历史学", "文物与博物馆学",
                "图书馆学", "档案学", "播音与主持艺术", "音乐学", "美术学"),
    "general": ("计算机科学与技术", "会计学", "行政管理", "汉语言文学", "法学",
                "工商管理", "电子信息工程", "机械设计制造及其自动化", "环境科学", "统计学"),
}

# Career ladders: (minimum age, grade). The generator jitters ages so ladders blur.
CIVIL_SERVANT_LADDER = (
    (0, "二级科员"), (25, "一级科员"), (28, "四级主任科员"), (33, "三级主任科员"),
    (38, "二级主任科员"), (44, "一级主任科员"),
)
CIVIL_SERVANT_LADDER_CITY_TOP = (50, "四级调研员")
POLICE_LADDER = (
    (0, "二级警员"), (25, "一级警员"), (28, "四级警长"), (33, "三级警长"),
    (38, "二级警长"), (44, "一级警长"), (50, "四级高级警长"),
)
JUDGE_LADDER = ((0, "五级法官助理"), (28, "五级法官"), (34, "四级法官"), (41, "三级法官"),
                (48, "二级法官"))
PROSECUTOR_LADDER = ((0, "五级检察官助理"), (28, "五级检察官"), (34, "四级检察官"),
                     (41, "三级检察官"), (48, "二级检察官"))
TEACHER_LADDER = ((0, "{s}二级教师"), (29, "{s}一级教师"), (40, "{s}高级教师"))
DOCTOR_LADDER = ((0, "医师"), (30, "主治医师"), (40, "副主任医师"), (50, "主任医师"))
NURSE_LADDER = ((0, "护士"), (26, "护师"), (33, "主管护师"), (45, "副主任护师"))
TECHNICIAN_LADDER = ((0, "技士"), (27, "技师"), (35, "主管技师"), (46, "副主任技师"))
ENGINEER_LADDER = ((0, "助理工程师"), (30, "工程师"), (42, "高级工程师"))
STAFF_LADDER = ((0, "十级职员"), (27, "九级职员"), (35, "八级职员"), (46, "七级职员"))
WORKER_LADDER = ((0, "技术工五级"), (30, "技术工四级"), (40, "技术工三级"), (50, "技术工二级"))
LECTURER_LADDER = ((0, "助教"), (28, "讲师"), (38, "副教授"), (48, "教授"))
JOURNALIST_LADDER = ((0, "助理记者"), (30, "记者"), (42, "主任记者"))
LIBRARIAN_LADDER = ((0, "助理馆员"), (30, "馆员"), (42, "副研究馆员"))
AGRONOMIST_LADDER = ((0, "助理农艺师"), (30, "农艺师"), (42, "高级农艺师"))
VET_LADDER = ((0, "助理兽医师"), (30, "兽医师"), (42, "高级兽医师"))

# A unit's staffing mix: (share, ladder, post, male share). Shares are weights.
STAFF_MIX: dict[str, tuple[tuple[float, tuple[tuple[int, str], ...], str, float], ...]] = {
    "civil": ((1, CIVIL_SERVANT_LADDER, "科员", 0.6),),
    "police": ((85, POLICE_LADDER, "民警", 0.85), (15, CIVIL_SERVANT_LADDER, "科员", 0.5)),
    "judge": ((55, JUDGE_LADDER, "审判人员", 0.5), (30, CIVIL_SERVANT_LADDER, "司法行政人员", 0.45),
              (15, POLICE_LADDER, "司法警察", 0.85)),
    "prosecutor": ((55, PROSECUTOR_LADDER, "检察人员", 0.55),
                   (30, CIVIL_SERVANT_LADDER, "司法行政人员", 0.45),
                   (15, POLICE_LADDER, "司法警察", 0.85)),
    "teacher": ((90, TEACHER_LADDER, "教师", 0.3), (6, STAFF_LADDER, "管理人员", 0.5),
                (4, WORKER_LADDER, "工勤人员", 0.6)),
    "kindergarten": ((92, TEACHER_LADDER, "教师", 0.03), (8, STAFF_LADDER, "管理人员", 0.3)),
    "medical": ((45, DOCTOR_LADDER, "医生", 0.55), (35, NURSE_LADDER, "护士", 0.03),
                (12, TECHNICIAN_LADDER, "医技人员", 0.45), (8, STAFF_LADDER, "管理人员", 0.45)),
    "engineer": ((70, ENGINEER_LADDER, "专业技术人员", 0.7), (20, STAFF_LADDER, "管理人员", 0.5),
                 (10, WORKER_LADDER, "工勤人员", 0.8)),
    "lecturer": ((70, LECTURER_LADDER, "教师", 0.5), (30, STAFF_LADDER, "管理人员", 0.5)),
    "journalist": ((70, JOURNALIST_LADDER, "采编人员", 0.5), (20, ENGINEER_LADDER, "技术人员", 0.7),
                   (10, STAFF_LADDER, "管理人员", 0.5)),
    "librarian": ((70, LIBRARIAN_LADDER, "专业技术人员", 0.35), (30, STAFF_LADDER, "管理人员", 0.45)),
    "agronomist": ((70, AGRONOMIST_LADDER, "农技人员", 0.7), (20, STAFF_LADDER, "管理人员", 0.5),
                   (10, WORKER_LADDER, "工勤人员", 0.8)),
    "vet": ((70, VET_LADDER, "兽医人员", 0.75), (30, STAFF_LADDER, "管理人员", 0.5)),
    "staff": ((60, STAFF_LADDER, "管理人员", 0.5), (30, ENGINEER_LADDER, "专业技术人员", 0.6),
              (10, WORKER_LADDER, "工勤人员", 0.75)),
}

# Posts held by 编外人员 (off-quota staff), by staffing profile.
OFF_QUOTA_POSTS: dict[str, tuple[str, ...]] = {
    "legal": ("辅警", "辅警", "书记员", "驾驶员"),
    "medical": ("护理员", "合同制护士", "护工", "保安", "收费员"),
    "teaching": ("代课教师", "保育员", "宿管员", "保安"),
    "organ": ("辅助人员", "驾驶员", "文印员", "保洁员"),
    "township": ("网格员", "辅助人员", "驾驶员"),
    "general": ("辅助人员", "驾驶员", "保洁员", "保安"),
}

CHINESE_NUMERALS = ("〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
                    "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十")

LEVEL_GRADE = {  # grade shown for leaders of organs, by (level, position)
    ("division", "principal"): "正处级", ("division", "deputy"): "副处级",
    ("section", "principal"): "正科级", ("section", "deputy"): "副科级",
}

EXIT_REASONS: tuple[tuple[str, float], ...] = (
    ("retirement", 60), ("transfer_out", 25), ("resignation", 10), ("death", 3),
    ("dismissal", 1), ("other", 1),
)

LEDGER_ADJUSTMENTS_UP = ("编制调整（核增）", "因职能划入划转编制", "事业单位改革划入编制",
                         "统筹调剂增加编制")
LEDGER_ADJUSTMENTS_DOWN = ("精简收回编制", "因职能划出划转编制", "编制调整（核减）",
                           "空编收回统筹使用")


class ScaleSpec:
    """How big a demo is: which regions, how dense each jurisdiction, how large each unit."""

    __slots__ = ("name", "description", "zjk_counties", "other_cities", "counties_per_city",
                 "max_tier", "townships", "village_schools", "size_factor")

    def __init__(self, name: str, description: str, *, zjk_counties: tuple[str, ...] | None,
                 other_cities: bool, counties_per_city: tuple[int, int], max_tier: int,
                 townships: tuple[int, int], village_schools: tuple[int, int],
                 size_factor: float) -> None:
        self.name = name
        self.description = description
        self.zjk_counties = zjk_counties  # None: all 16
        self.other_cities = other_cities  # the ten other 河北 cities, synthetic counties
        self.counties_per_city = counties_per_city
        self.max_tier = max_tier  # unit templates up to this tier
        self.townships = townships  # 乡镇/街道 per county
        self.village_schools = village_schools  # 村小学 per 乡镇
        self.size_factor = size_factor  # multiplies approved establishment sizes

    def __repr__(self) -> str:
        return f"ScaleSpec({self.name!r}: {self.description})"


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec(
        "tiny", "张家口市 + 桥东区、蔚县：约 60 个单位、1,000 人（用于测试）",
        zjk_counties=("130702", "130726"), other_cities=False, counties_per_city=(0, 0),
        max_tier=1, townships=(2, 2), village_schools=(0, 0), size_factor=0.22),
    "city": ScaleSpec(
        "city", "张家口市及所辖 16 个县区：约 1,500 个单位、4 万人",
        zjk_counties=None, other_cities=False, counties_per_city=(0, 0),
        max_tier=2, townships=(5, 8), village_schools=(0, 0), size_factor=0.72),
    "province": ScaleSpec(
        "province", "河北省 11 个设区市、约 190 个县区：约 5 万个单位、100 万人",
        zjk_counties=None, other_cities=True, counties_per_city=(15, 20),
        max_tier=3, townships=(10, 16), village_schools=(2, 6), size_factor=0.86),
}
