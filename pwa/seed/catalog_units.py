"""Unit templates: the organs every jurisdiction has after the 2019 reform, and their shape.

Name patterns use ``{G}`` region full name (张家口市 / 蔚县), ``{g}`` short government prefix
(市 / 蔚县), ``{S}`` region short name (张家口 / 蔚县), ``{P}`` party prefix (中共张家口市委 /
中共蔚县委), ``{p}`` short party prefix (市委 / 蔚县委) and ``{n}`` a Chinese ordinal for
templates with several instances. A pair means (city pattern, county pattern).
``tier`` 1 is the core kept at tiny scale; 3 appears only at province scale, where
jurisdictions are denser.
"""

from __future__ import annotations

from dataclasses import dataclass

from pwa.models.enums import Funding, UnitKind, UnitNature, UnitRank

# Tables of Chinese text: ruff counts each character as two columns, and one entry
# per line is easier to read than the formatter's one value per line.
# ruff: noqa: E501
# fmt: off

Pattern = str | tuple[str, str]

K = UnitKind
N = UnitNature
F = Funding
R = UnitRank


@dataclass(frozen=True)
class UnitTemplate:
    key: str
    name: Pattern
    short: Pattern
    kind: UnitKind
    levels: str = "ck"  # c = city, k = county
    tier: int = 2
    county_tier: int | None = None  # minor county institutions appear only at province scale
    nature: UnitNature = UnitNature.ADMINISTRATIVE
    funding: Funding = Funding.FULL
    parent: str | None = None  # key of the 主管部门 in the same jurisdiction
    size: tuple[int, int, int, int] = (30, 60, 10, 25)  # approved: city lo/hi, county lo/hi
    accounts: str = "admin"  # admin | legal | csm | inst | hospital
    profile: str = "organ"  # education mix and off-quota posts
    field: str = "organ"  # specialty pool
    staff: str = "civil"  # staffing mix (catalog.STAFF_MIX)
    school: str = ""  # 中学 / 小学 / 幼儿园 for teacher titles
    departments: tuple[str, ...] = ()
    standard_departments: bool = True  # organs also get 政策法规科 and 人事科
    aliases: tuple[tuple[str, bool, str], ...] = ()  # (pattern, is_nameplate, levels)
    leader: tuple[str, str] | None = None  # (正职, 副职) when the name does not say it
    established: tuple[int, int] = (1949, 1985)
    rank: tuple[UnitRank, UnitRank] | None = None  # institutions: (city, county)
    count: tuple[int, int, int, int] | None = None  # instances: city lo/hi, county lo/hi
    focus: str = ""  # 主要职责: the field of work


def T(key: str, name: Pattern, short: Pattern, kind: UnitKind, **kw: object) -> UnitTemplate:
    return UnitTemplate(key, name, short, kind, **kw)  # type: ignore[arg-type]


def nameplate(pattern: str, levels: str = "ck") -> tuple[str, bool, str]:
    return (pattern, True, levels)


def former(pattern: str, levels: str = "ck") -> tuple[str, bool, str]:
    return (pattern, False, levels)


PO, GD, MO = K.PARTY_ORGAN, K.GOVERNMENT_DEPARTMENT, K.MASS_ORGANIZATION

ORGAN_TEMPLATES: tuple[UnitTemplate, ...] = (
    # 党委工作机关
    T("weiban", "{P}办公室", "{p}办", PO, tier=1, size=(40, 70, 18, 30), focus="党委办公",
      departments=("秘书科", "综合科", "督查科", "信息科", "机要科", "保密科", "法规室"),
      aliases=(nameplate("{P}保密委员会办公室"), nameplate("{G}国家保密局", "c"))),
    T("zuzhi", "{P}组织部", "{p}组织部", PO, tier=1, size=(40, 70, 18, 30), focus="组织",
      departments=("干部一科", "干部二科", "干部监督科", "组织科", "干部教育科",
                   "人才工作科", "公务员管理科", "研究室"),
      aliases=(nameplate("{G}公务员局"),)),
    T("xuanchuan", "{P}宣传部", "{p}宣传部", PO, size=(30, 50, 12, 22), focus="宣传思想文化",
      departments=("理论科", "宣传教育科", "新闻科", "文艺科", "精神文明建设科",
                   "网络宣传科", "出版管理科", "电影管理科"),
      aliases=(nameplate("{G}新闻出版局"), nameplate("{G}电影局"))),
    T("tongzhan", "{P}统一战线工作部", "{p}统战部", PO, size=(25, 40, 10, 18), focus="统一战线",
      departments=("党派工作科", "民族宗教科", "经济联络科", "新的社会阶层人士工作科",
                   "干部科"),
      aliases=(nameplate("{G}民族宗教事务局"), nameplate("{G}人民政府侨务办公室", "c"))),
    T("zhengfa", "{P}政法委员会", "{p}政法委", PO, size=(25, 40, 10, 18), focus="政法",
      departments=("综合治理科", "执法监督科", "维护稳定科", "平安建设科", "队伍建设科"),
      leader=("书记", "副书记")),
    T("bianban", "{P}机构编制委员会办公室", "{p}编办", PO, tier=1, size=(20, 35, 8, 15),
      focus="机构编制", leader=("主任", "副主任"),
      departments=("党政机构编制科", "事业机构编制科", "机构编制监督检查科", "综合科",
                   "机构编制研究室"),
      aliases=(former("{G}机构编制委员会办公室"),)),
    T("jiwei", "中共{G}纪律检查委员会机关", "{g}纪委监委", PO, size=(60, 100, 25, 45),
      focus="纪律检查和监察", standard_departments=False, leader=("书记", "副书记"),
      departments=("党风政风监督室", "信访室", "案件监督管理室", "第一监督检查室",
                   "第二监督检查室", "第三监督检查室", "第一审查调查室", "第二审查调查室",
                   "案件审理室", "组织部"),
      aliases=(nameplate("{G}监察委员会"),)),
    T("wangxin", "{P}网络安全和信息化委员会办公室", "{p}网信办", PO, county_tier=3, size=(12, 20, 5, 10),
      focus="网络安全和信息化", established=(2014, 2019), leader=("主任", "副主任"),
      departments=("网络安全协调科", "网络舆情科", "网络传播科", "信息化发展科"),
      aliases=(nameplate("{G}互联网信息办公室"),)),
    T("shegong", "{P}社会工作部", "{p}社会工作部", PO, county_tier=3, size=(12, 25, 6, 12), focus="社会工作",
      established=(2024, 2024),
      departments=("基层政权建设科", "社会组织党建科", "新兴领域党建科", "志愿服务科",
                   "信访工作科")),
    T("jiguangongwei", "{P}直属机关工作委员会", "市直机关工委", PO, levels="c",
      size=(12, 20, 0, 0), focus="机关党建", leader=("书记", "副书记"),
      departments=("组织科", "宣传科", "纪检科")),
    T("laoganbu", "{P}老干部局", "{p}老干部局", PO, county_tier=3, size=(15, 25, 5, 10), focus="老干部工作",
      departments=("离退休干部服务科", "活动科", "待遇落实科")),
    # 政府工作部门
    T("zhengfuban", "{G}人民政府办公室", "{g}政府办", GD, tier=1, size=(40, 70, 18, 30),
      focus="政府办公", leader=("主任", "副主任"),
      departments=("秘书一科", "秘书二科", "综合科", "督查科", "信息科", "金融工作科"),
      aliases=(nameplate("{G}人民政府外事办公室", "c"),)),
    T("fagai", ("{G}发展和改革委员会", "{G}发展和改革局"), ("{g}发改委", "{g}发改局"), GD,
      tier=1, size=(50, 80, 15, 25), field="finance", focus="国民经济和社会发展",
      departments=("综合科", "发展规划科", "固定资产投资科", "产业发展科", "价格管理科",
                   "能源科", "经济体制改革科", "粮食和物资储备科"),
      aliases=(nameplate("{G}粮食和物资储备局", "c"),)),
    T("jiaoyu", "{G}教育局", "{g}教育局", GD, tier=1, size=(40, 70, 15, 30), focus="教育",
      departments=("基础教育科", "职业教育与成人教育科", "教师工作科", "学前教育科",
                   "学生资助管理科", "体育卫生与艺术教育科", "安全稳定科", "督导室"),
      aliases=(nameplate("{G}人民政府教育督导室"),)),
    T("keji", "{G}科学技术局", "{g}科技局", GD, size=(25, 40, 8, 15), focus="科技创新",
      departments=("高新技术科", "农村科技科", "科技成果转化科", "创新平台科",
                   "外国专家服务科"),
      aliases=(nameplate("{G}外国专家局", "c"),)),
    T("gongxin", "{G}工业和信息化局", "{g}工信局", GD, size=(30, 45, 10, 18), focus="工业和信息化",
      field="engineering",
      departments=("运行监测协调科", "产业发展科", "技术改造科", "节能与综合利用科",
                   "中小企业科", "信息化推进科")),
    T("gongan", "{G}公安局", "{g}公安局", GD, tier=1, size=(200, 350, 80, 180),
      accounts="legal", profile="legal", field="legal", staff="police", focus="公安",
      standard_departments=False,
      departments=("指挥中心", "治安管理支队", "刑事侦查支队", "经济犯罪侦查支队",
                   "交通警察支队", "网络安全保卫支队", "出入境管理支队", "监所管理支队",
                   "法制支队", "禁毒支队", "警务保障处", "政治部")),
    T("minzheng", "{G}民政局", "{g}民政局", GD, size=(25, 40, 8, 15), focus="民政",
      departments=("社会救助科", "社会事务科", "养老服务科", "儿童福利科",
                   "社会组织管理科", "区划地名科")),
    T("sifa", "{G}司法局", "{g}司法局", GD, size=(40, 60, 20, 40), accounts="legal",
      profile="legal", field="legal", focus="司法行政",
      departments=("法治调研科", "行政执法协调监督科", "人民参与和促进法治科",
                   "公共法律服务管理科", "社区矫正管理科", "律师工作管理科"),
      aliases=(former("{G}人民政府法制办公室"),)),
    T("caizheng", "{G}财政局", "{g}财政局", GD, tier=1, size=(50, 80, 20, 35), field="finance",
      focus="财政", departments=("预算科", "国库科", "税政科", "行政政法科", "教科文科",
                               "经济建设科", "农业农村科", "社会保障科", "会计科",
                               "政府采购管理科", "国有资产管理科", "绩效管理科")),
    T("renshe", "{G}人力资源和社会保障局", "{g}人社局", GD, tier=1, size=(40, 70, 15, 30),
      focus="人力资源和社会保障",
      departments=("就业促进和失业保险科", "人才开发和市场科", "专业技术人员管理科",
                   "事业单位人事管理科", "工资福利科", "劳动关系科", "养老保险科",
                   "工伤保险科", "劳动保障监察科"),
      aliases=(former("{G}人事局"), former("{G}劳动和社会保障局"))),
    T("ziranziyuan", "{G}自然资源和规划局", "{g}资规局", GD, size=(60, 90, 20, 35),
      field="engineering", focus="自然资源和国土空间规划", established=(2019, 2019),
      departments=("国土空间规划科", "自然资源调查监测科", "自然资源确权登记科",
                   "耕地保护监督科", "矿产资源管理科", "国土空间生态修复科",
                   "测绘地理信息科", "执法监察科"),
      aliases=(former("{G}国土资源局"), former("{G}城乡规划局", "c"))),
    T("shengtai", "{G}生态环境局", "{g}生态环境局", GD, levels="c", size=(30, 50, 0, 0),
      field="engineering", focus="生态环境保护",
      departments=("大气环境科", "水生态环境科", "土壤生态环境科", "自然生态保护科",
                   "环境影响评价与排放管理科", "生态环境监测科"),
      aliases=(former("{G}环境保护局"),)),
    T("zhujian", "{G}住房和城乡建设局", "{g}住建局", GD, size=(40, 60, 15, 25), field="engineering",
      focus="住房和城乡建设",
      departments=("城市建设科", "村镇建设科", "住房保障科", "房地产市场监管科",
                   "建筑市场监管科", "工程质量安全监管科", "城市燃气热力科")),
    T("jiaotong", "{G}交通运输局", "{g}交通局", GD, size=(30, 50, 10, 20), field="engineering",
      focus="交通运输", departments=("综合规划科", "公路管理科", "运输管理科", "安全监督科",
                                 "工程质量监督科", "农村公路科")),
    T("shuiwu", "{G}水务局", "{g}水务局", GD, size=(25, 45, 10, 18), field="engineering",
      focus="水利", departments=("水资源管理科", "河湖管理科", "水利工程建设科",
                               "农村水利水电科", "水土保持科", "节约用水科"),
      aliases=(former("{G}水利局"),)),
    T("nongye", "{G}农业农村局", "{g}农业农村局", GD, size=(40, 70, 15, 30), field="agri",
      focus="农业农村",
      departments=("乡村产业发展科", "种植业管理科", "畜牧兽医科", "农田建设管理科",
                   "科技教育科", "农村合作经济指导科", "乡村振兴科"),
      aliases=(nameplate("{G}乡村振兴局"), former("{G}扶贫开发办公室"), former("{G}农业局"))),
    T("shangwu", "{G}商务局", "{g}商务局", GD, size=(25, 40, 8, 15), field="finance", focus="商务",
      departments=("对外贸易科", "外商投资科", "市场建设科", "电子商务科", "消费促进科")),
    T("wenlv", "{G}文化广电和旅游局", "{g}文广旅局", GD, size=(30, 50, 12, 22), field="culture",
      focus="文化广电和旅游",
      departments=("艺术科", "公共服务科", "文化产业科", "资源开发科", "市场管理科",
                   "广播电视科", "文物科"),
      aliases=(nameplate("{G}文物局"), former("{G}文化广电新闻出版局"))),
    T("weijian", ("{G}卫生健康委员会", "{G}卫生健康局"), ("{g}卫健委", "{g}卫健局"), GD, tier=1,
      size=(40, 70, 15, 25), field="public_health", focus="卫生健康",
      departments=("医政医管科", "基层卫生健康科", "疾病预防控制科", "卫生应急科",
                   "妇幼健康科", "人口监测与家庭发展科", "老龄健康科", "中医科", "职业健康科"),
      aliases=(nameplate("{G}中医药管理局", "c"), former("{G}卫生和计划生育委员会", "c"),
               former("{G}卫生和计划生育局", "k"))),
    T("tuiyi", "{G}退役军人事务局", "{g}退役军人事务局", GD, size=(15, 25, 6, 12),
      focus="退役军人工作", established=(2019, 2019),
      departments=("思想政治和权益维护科", "移交安置科", "就业创业科", "优抚科", "拥军褒扬科")),
    T("yingji", "{G}应急管理局", "{g}应急局", GD, size=(30, 50, 10, 20), focus="应急管理",
      established=(2019, 2019),
      departments=("应急指挥科", "风险监测和综合减灾科", "火灾防治管理科", "防汛抗旱科",
                   "地震和地质灾害救援科", "危险化学品安全监督管理科", "安全生产执法监察科"),
      aliases=(nameplate("{G}地震局"), former("{G}安全生产监督管理局"))),
    T("shenji", "{G}审计局", "{g}审计局", GD, size=(25, 40, 10, 18), field="finance", focus="审计",
      departments=("财政审计科", "经济责任审计科", "固定资产投资审计科", "社会保障审计科",
                   "企业审计科", "审理科")),
    T("shichang", "{G}市场监督管理局", "{g}市场监管局", GD, size=(60, 90, 30, 40),
      focus="市场监督管理", established=(2019, 2019),
      departments=("登记注册科", "信用监督管理科", "网络交易监督管理科", "价格监督检查科",
                   "质量发展科", "产品质量安全监督管理科", "食品安全协调科",
                   "食品生产安全监督管理科", "药品监督管理科", "特种设备安全监察科",
                   "知识产权科", "计量科", "标准化科"),
      aliases=(nameplate("{G}知识产权局"), former("{G}工商行政管理局"))),
    T("tongji", "{G}统计局", "{g}统计局", GD, size=(20, 35, 8, 15), field="finance", focus="统计",
      departments=("综合科", "国民经济核算科", "工业交通统计科", "农村统计科",
                   "人口和社会科技统计科", "服务业统计科", "统计执法监督科")),
    T("yibao", "{G}医疗保障局", "{g}医保局", GD, size=(15, 25, 6, 12), focus="医疗保障",
      established=(2019, 2019),
      departments=("待遇保障科", "医药服务管理科", "医药价格和招标采购科", "基金监管科")),
    T("shenpi", "{G}行政审批局", "{g}审批局", GD, size=(40, 60, 15, 25), focus="行政审批",
      established=(2017, 2018),
      departments=("投资项目审批科", "建设工程审批科", "社会事务审批科", "市场准入审批科",
                   "勘验科", "政务服务科")),
    T("guoziwei", "{G}人民政府国有资产监督管理委员会", "{g}国资委", GD, levels="c",
      size=(20, 30, 0, 0), field="finance", focus="国有资产监督管理",
      departments=("企业改革科", "产权管理科", "规划发展科", "考核分配科", "监督追责科")),
    T("tiyu", "{G}体育局", "{g}体育局", GD, levels="c", size=(20, 30, 0, 0), focus="体育",
      departments=("群众体育科", "竞技体育科", "体育产业科", "青少年体育科")),
    T("linye", "{G}林业和草原局", "{g}林草局", GD, size=(25, 40, 10, 18), field="agri",
      focus="林业和草原", established=(2019, 2019),
      departments=("生态修复科", "资源管理科", "草原管理科", "自然保护地管理科", "森林防火科")),
    T("chengguan", "{G}城市管理综合行政执法局", "{g}城管局", GD, size=(30, 50, 15, 30),
      focus="城市管理", established=(2001, 2016), departments=("市容环境卫生科", "市政公用科", "园林绿化科",
                                   "执法督察科", "数字城管科")),
    T("xinfang", "{G}信访局", "{g}信访局", GD, county_tier=3, size=(15, 25, 6, 12), focus="信访",
      departments=("来访接待科", "网上信访科", "督查督办科", "复查复核科")),
    # 人大、政协、法院、检察院
    T("renda", "{G}人大常委会机关", "{g}人大机关", K.PEOPLES_CONGRESS, size=(40, 60, 15, 25),
      focus="人大", standard_departments=False, leader=("秘书长", "副秘书长"),
      departments=("研究室", "法制工作委员会", "财政经济工作委员会", "教育科学文化卫生工作委员会",
                   "农业与农村工作委员会", "人事代表工作委员会", "监察和司法工作委员会")),
    T("zhengxie", "政协{G}委员会机关", "{g}政协机关", K.CPPCC, size=(30, 50, 12, 20), focus="政协",
      standard_departments=False, leader=("秘书长", "副秘书长"),
      departments=("研究室", "提案委员会", "经济委员会", "文化文史和学习委员会",
                   "社会和法制委员会", "委员工作委员会")),
    T("fayuan", ("{G}中级人民法院", "{G}人民法院"), ("市中院", "{g}法院"), K.COURT, tier=1,
      size=(120, 200, 40, 90), accounts="legal", profile="legal", field="legal", staff="judge",
      focus="审判", standard_departments=False, leader=("院长", "副院长"),
      departments=("立案庭", "刑事审判庭", "民事审判第一庭", "民事审判第二庭", "行政审判庭",
                   "审判监督庭", "执行局", "审判管理办公室", "政治部", "司法警察支队")),
    T("jianchayuan", "{G}人民检察院", "{g}检察院", K.PROCURATORATE, tier=1,
      size=(80, 130, 30, 60), accounts="legal", profile="legal", field="legal",
      staff="prosecutor", focus="检察", standard_departments=False, leader=("检察长", "副检察长"),
      departments=("第一检察部", "第二检察部", "第三检察部", "第四检察部", "第五检察部",
                   "案件管理办公室", "政治部", "检务督察部", "司法警察支队")),
    # 群团机关
    T("gonghui", "{G}总工会", "{g}总工会", MO, tier=1, size=(20, 35, 6, 12), focus="工会",
      standard_departments=False, leader=("主席", "副主席"),
      departments=("组织部", "宣传教育部", "权益保障部", "经费审查委员会办公室", "女职工部")),
    T("tuanwei", "共青团{G}委员会", ("团市委", "团{G}委"), MO, size=(10, 18, 4, 8), focus="共青团",
      standard_departments=False, leader=("书记", "副书记"),
      departments=("组织部", "宣传部", "学校部", "青年发展部")),
    T("fulian", "{G}妇女联合会", "{g}妇联", MO, size=(12, 20, 5, 9), focus="妇女",
      standard_departments=False, leader=("主席", "副主席"),
      departments=("组织联络部", "宣传部", "权益部", "家庭和儿童工作部")),
    T("kexie", "{G}科学技术协会", "{g}科协", MO, county_tier=3, size=(12, 20, 4, 8), focus="科普",
      standard_departments=False, leader=("主席", "副主席"),
      departments=("学会部", "科普部", "组织宣传部")),
    T("canlian", "{G}残疾人联合会", "{g}残联", MO, size=(15, 25, 6, 10), focus="残疾人事业",
      standard_departments=False, leader=("理事长", "副理事长"),
      departments=("组织联络部", "康复部", "教育就业部", "维权部")),
    T("gongshanglian", "{G}工商业联合会", "{g}工商联", MO, county_tier=3, size=(12, 20, 4, 8), focus="非公有制经济",
      standard_departments=False, leader=("主席", "副主席"),
      departments=("会员部", "经济部", "宣传教育部")),
    T("wenlian", "{G}文学艺术界联合会", "{g}文联", MO, levels="c", size=(10, 16, 0, 0),
      focus="文学艺术", standard_departments=False, leader=("主席", "副主席"),
      departments=("组联部", "创作研究部")),
    T("hongshizi", "{G}红十字会", "{g}红十字会", MO, tier=3, size=(6, 10, 3, 6), focus="红十字",
      standard_departments=False, leader=("会长", "副会长"), departments=("赈济救护部", "筹资宣传部")),
)
