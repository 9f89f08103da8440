"""事业单位 templates (under their 主管部门) and what every 乡镇/街道 holds.

Same placeholders as ``catalog_units``; township patterns add ``{T}`` (the township's short
name, 东庄镇) and ``{V}`` (a village, for 村小学).
"""

from __future__ import annotations

from dataclasses import dataclass

from pwa.models.enums import Funding, UnitKind, UnitNature, UnitRank

from .catalog_units import T, UnitTemplate, former, nameplate

# Tables of Chinese text: ruff counts each character as two columns, and one entry
# per line is easier to read than the formatter's one value per line.
# ruff: noqa: E501
# fmt: off

F, N, R = Funding, UnitNature, UnitRank
PW1, PW2, CSM, COM = N.PUBLIC_WELFARE_1, N.PUBLIC_WELFARE_2, N.CIVIL_SERVICE_MANAGED, N.COMMERCIAL
PI = UnitKind.PUBLIC_INSTITUTION
_INST: dict[str, object] = {
    "nature": PW1, "accounts": "inst", "profile": "general", "field": "general",
    "staff": "staff", "standard_departments": False, "established": (1958, 2012),
    "rank": (R.SECTION_FULL, R.SECTION_DEPUTY),
}
_CSM = {**_INST, "nature": CSM, "accounts": "csm", "profile": "organ", "field": "organ",
        "staff": "civil"}
_HOSP = {**_INST, "nature": PW2, "funding": F.PARTIAL, "accounts": "hospital",
         "profile": "medical", "field": "medical", "staff": "medical", "parent": "weijian",
         "established": (1946, 1990)}
_SCHOOL = {**_INST, "profile": "teaching", "field": "teaching", "staff": "teacher",
           "parent": "jiaoyu", "established": (1950, 2005)}
_COMMERCIAL = {**_INST, "nature": COM, "funding": F.SELF_FINANCED, "staff": "engineer",
               "field": "engineering", "rank": (R.UNRANKED, R.UNRANKED)}
_HOSPITAL_DEPARTMENTS = ("医务科", "护理部", "质控科", "内科", "外科", "儿科", "妇产科",
                         "急诊科", "药剂科", "检验科", "放射科", "院感科")


def inst(key: str, name: str | tuple[str, str], short: str | tuple[str, str],
         base: dict[str, object], **kw: object) -> UnitTemplate:
    return T(key, name, short, PI, **{**base, **kw})


INSTITUTION_TEMPLATES: tuple[UnitTemplate, ...] = (
    inst("dangxiao", "{P}党校", "{p}党校", _INST, size=(50, 80, 15, 30), staff="lecturer",
         leader=("常务副校长", "副校长"), established=(1949, 1985),
         field="organ", rank=(R.DIVISION_FULL, R.SECTION_FULL), focus="干部教育培训",
         departments=("教务处", "科研室", "党建教研室", "经济学教研室", "公共管理教研室", "图书资料室"),
         aliases=(nameplate("{G}行政学院"),)),
    inst("danganguan", "{G}档案馆", "{g}档案馆", _INST, parent="weiban", size=(25, 40, 6, 12),
         staff="librarian", field="culture", focus="档案保管和利用",
         departments=("档案接收征集科", "档案保管利用科", "编研科", "信息技术科")),
    inst("bianzhixinxi", "{G}机构编制电子政务中心", "{g}编制电子政务中心", _INST, parent="bianban",
         size=(5, 10, 3, 6), established=(2008, 2016), focus="机构编制信息化",
         departments=("信息科", "综合科", "实名制管理科")),
    inst("rongmeiti", "{G}融媒体中心", "{g}融媒体中心", _INST, parent="xuanchuan", nature=PW2,
         funding=F.PARTIAL, size=(80, 150, 30, 60), staff="journalist", field="culture",
         established=(2018, 2019), focus="新闻宣传",
         departments=("新闻采访部", "编辑部", "新媒体部", "技术部", "广告部"),
         aliases=(nameplate("{G}广播电视台"),)),
    inst("jiguanshiwu", "{G}机关事务服务中心", "{g}机关事务中心", _CSM, parent="zhengfuban",
         size=(30, 50, 10, 20), focus="机关事务保障",
         departments=("综合科", "公务用车管理科", "公共机构节能科", "资产管理科"),
         aliases=(former("{G}机关事务管理局"),)),
    inst("shebao", "{G}社会保险事业服务中心", "{g}社保中心", _CSM, parent="renshe", tier=1,
         size=(40, 70, 15, 30), focus="社会保险经办",
         departments=("养老保险科", "工伤保险科", "基金财务科", "稽核科", "信息科")),
    inst("jiuye", "{G}公共就业服务中心", "{g}就业服务中心", _INST, county_tier=3, parent="renshe",
         size=(20, 35, 8, 15), focus="公共就业服务",
         departments=("就业指导科", "职业培训科", "劳动力市场科", "创业服务科")),
    inst("gongjijin", "{G}住房公积金管理中心", "{g}公积金中心", _CSM, parent="zhengfuban", levels="c",
         size=(50, 80, 0, 0), field="finance", focus="住房公积金管理",
         departments=("归集科", "信贷科", "财务科", "稽核科", "信息科")),
    inst("budongchan", "{G}不动产登记中心", "{g}不动产登记中心", _INST, parent="ziranziyuan",
         size=(30, 50, 12, 25), field="engineering", established=(2015, 2016), focus="不动产登记",
         departments=("登记受理科", "权籍调查科", "档案科", "信息科")),
    inst("jikong", "{G}疾病预防控制中心", "{g}疾控中心", _INST, parent="weijian", tier=1,
         size=(60, 100, 25, 45), staff="medical", field="public_health", profile="medical",
         focus="疾病预防控制",
         departments=("传染病防制科", "免疫规划科", "慢性病防制科", "检验科", "卫生监测科",
                      "健康教育科", "应急办公室")),
    inst("weijianzhifa", "{G}卫生健康综合监督执法队", "{g}卫生监督执法队", _CSM, parent="weijian",
         size=(30, 50, 10, 20), field="public_health", focus="卫生健康监督执法",
         departments=("医疗卫生监督科", "公共卫生监督科", "传染病防治监督科", "稽查科")),
    inst("yiyuan", ("{G}第{n}医院", "{G}人民医院"), ("市{n}院", "{g}医院"), _HOSP, tier=1,
         count=(2, 2, 1, 1), size=(400, 800, 200, 500), rank=(R.DIVISION_DEPUTY, R.SECTION_FULL),
         focus="医疗卫生", departments=_HOSPITAL_DEPARTMENTS),
    inst("zhongyiyuan", "{G}中医院", "{g}中医院", _HOSP, size=(200, 400, 80, 200), focus="中医医疗",
         departments=("医务科", "护理部", "针灸推拿科", "中医内科", "中医外科", "康复科",
                      "药剂科", "检验科", "放射科")),
    inst("fuyou", "{G}妇幼保健院", "{g}妇幼保健院", _HOSP, size=(80, 150, 30, 80), focus="妇幼保健",
         departments=("医务科", "护理部", "妇科", "产科", "儿童保健科", "检验科")),
    inst("jijiu", "{G}紧急医疗救援中心", "{g}急救中心", _INST, levels="c", parent="weijian",
         size=(40, 70, 0, 0), staff="medical", profile="medical", field="medical", focus="院前急救",
         departments=("调度科", "急救科", "培训科")),
    inst("xuezhan", "{G}中心血站", "{g}血站", _INST, levels="c", parent="weijian", nature=PW2,
         funding=F.PARTIAL, size=(40, 70, 0, 0), staff="medical", profile="medical",
         field="medical", focus="采供血", departments=("献血服务科", "检验科", "成分科", "质量管理科")),
    inst("zhongxue", "{G}第{n}中学", "{S}{n}中", _SCHOOL, tier=1, count=(3, 5, 2, 4), school="中学",
         size=(120, 200, 80, 180), rank=(R.DIVISION_DEPUTY, R.SECTION_FULL), focus="中学教育",
         departments=("教务处", "政教处", "总务处", "教研室", "团委", "安全保卫处", "信息中心")),
    inst("shiyanxiaoxue", "{G}实验小学", "{g}实验小学", _SCHOOL, tier=1, school="小学",
         size=(60, 120, 40, 90), focus="小学教育", departments=("教导处", "总务处", "德育处", "教研室")),
    inst("xiaoxue", "{G}第{n}小学", "{g}{n}小", _SCHOOL, count=(2, 4, 2, 4), school="小学",
         size=(40, 100, 40, 90), rank=(R.SECTION_DEPUTY, R.STOCK), focus="小学教育",
         departments=("教导处", "总务处", "德育处", "教研室")),
    inst("youeryuan", "{G}第{n}幼儿园", "{g}{n}幼", _SCHOOL, count=(1, 3, 1, 2), school="幼儿园",
         staff="kindergarten", size=(20, 50, 15, 40), rank=(R.SECTION_DEPUTY, R.STOCK),
         focus="学前教育", departments=("保教部", "保健室", "总务处")),
    inst("zhijiao", "{G}职业技术教育中心", "{g}职教中心", _SCHOOL, school="中学", size=(80, 150, 50, 100),
         focus="中等职业教育", departments=("教务处", "学生处", "实训中心", "招生就业处", "总务处")),
    inst("tejiao", "{G}特殊教育学校", "{g}特教学校", _SCHOOL, county_tier=3, school="小学", size=(20, 40, 10, 25),
         rank=(R.SECTION_DEPUTY, R.STOCK), focus="特殊教育",
         departments=("教务处", "康复训练部", "总务处")),
    inst("jiaoshifazhan", "{G}教师发展中心", "{g}教师发展中心", _SCHOOL, county_tier=3, school="中学",
         size=(20, 40, 10, 20), focus="教研和教师培训",
         departments=("教学研究室", "培训部", "教育信息化部", "综合部")),
    inst("nongji", "{G}农业技术推广中心", "{g}农技推广中心", _INST, parent="nongye",
         size=(30, 50, 15, 30), staff="agronomist", field="agri", focus="农业技术推广",
         departments=("粮油作物站", "经济作物站", "植物保护站", "土壤肥料站", "农业技术培训科")),
    inst("dongyi", "{G}动物疫病预防控制中心", "{g}动物疫控中心", _INST, county_tier=3, parent="nongye",
         size=(20, 35, 10, 20), staff="vet", field="agri", focus="动物疫病预防控制",
         departments=("疫病监测科", "检疫监督科", "实验室")),
    inst("shuili", "{G}水利事业服务中心", "{g}水利服务中心", _INST, county_tier=3, parent="shuiwu",
         size=(30, 50, 15, 30), staff="engineer", field="engineering", focus="水利工程管理",
         departments=("工程管理科", "水资源监测科", "防汛科", "水土保持站")),
    inst("gonglu", "{G}公路养护中心", "{g}公路养护中心", _INST, county_tier=3, parent="jiaotong",
         size=(40, 70, 20, 40), staff="engineer", field="engineering", focus="公路养护",
         departments=("养护科", "路政科", "工程科", "机械设备科")),
    inst("jianyan", "{G}检验检测中心", "{g}检验检测中心", _INST, county_tier=3, parent="shichang", nature=PW2,
         funding=F.PARTIAL, size=(40, 70, 10, 20), staff="engineer", field="engineering",
         focus="检验检测", departments=("食品检验室", "药品检验室", "计量检定室", "质量管理科")),
    inst("pucha", "{G}统计普查中心", "{g}普查中心", _INST, county_tier=3, parent="tongji", size=(10, 18, 5, 10),
         field="finance", focus="统计普查", departments=("普查科", "数据管理科")),
    inst("tuiyifuwu", "{G}退役军人服务中心", "{g}退役军人服务中心", _INST, county_tier=3, parent="tuiyi",
         size=(15, 25, 6, 12), established=(2019, 2019), focus="退役军人服务",
         departments=("服务保障科", "就业创业科", "权益维护科")),
    inst("fuliyuan", "{G}社会福利院", "{g}福利院", _INST, county_tier=3, parent="minzheng", size=(30, 50, 10, 25),
         focus="社会福利", departments=("护理部", "医务室", "社工部", "后勤科")),
    inst("binyiguan", "{G}殡仪馆", "{g}殡仪馆", _COMMERCIAL, county_tier=3, parent="minzheng", size=(20, 40, 10, 20),
         staff="staff", focus="殡葬服务", departments=("业务科", "火化车间", "财务科")),
    inst("tushuguan", "{G}图书馆", "{g}图书馆", _INST, parent="wenlv", size=(25, 40, 10, 18),
         staff="librarian", field="culture", focus="公共图书馆服务",
         departments=("采编部", "借阅部", "数字资源部", "少儿部")),
    inst("wenhuaguan", "{G}文化馆", "{g}文化馆", _INST, parent="wenlv", size=(20, 35, 8, 15),
         staff="librarian", field="culture", focus="群众文化",
         departments=("群众文化部", "非遗保护部", "培训部")),
    inst("bowuguan", "{G}博物馆", "{g}博物馆", _INST, county_tier=3, parent="wenlv", size=(20, 35, 6, 12),
         staff="librarian", field="culture", focus="文物收藏和展示",
         departments=("保管部", "陈列部", "社会教育部", "文物保护部")),
    inst("gongzheng", "{G}公证处", "{g}公证处", _INST, county_tier=3, parent="sifa", nature=PW2, funding=F.PARTIAL,
         size=(15, 25, 6, 12), field="legal", profile="legal", focus="公证",
         departments=("公证业务科", "综合科")),
    inst("falvyuanzhu", "{G}法律援助中心", "{g}法援中心", _INST, county_tier=3, parent="sifa", size=(10, 18, 5, 10),
         field="legal", profile="legal", focus="法律援助", departments=("法律援助科", "综合科")),
    inst("pingshen", "{G}财政投资评审中心", "{g}财政评审中心", _INST, county_tier=3, parent="caizheng",
         size=(20, 30, 8, 15), field="finance", focus="财政投资评审",
         departments=("评审一科", "评审二科", "综合科")),
    inst("guoku", "{G}财政国库支付中心", "{g}国库支付中心", _CSM, county_tier=3, parent="caizheng",
         size=(20, 30, 8, 15), field="finance", focus="国库集中支付",
         departments=("支付一科", "支付二科", "会计核算科")),
    inst("yibaofuwu", "{G}医疗保障服务中心", "{g}医保服务中心", _CSM, county_tier=3, parent="yibao",
         size=(25, 40, 10, 20), established=(2019, 2019), focus="医疗保障经办",
         departments=("待遇核定科", "医药结算科", "稽核科")),
    inst("zhengwu", "{G}政务服务中心", "{g}政务服务中心", _INST, county_tier=3, parent="shenpi", size=(25, 40, 10, 20),
         focus="政务服务", departments=("窗口管理科", "网上服务科", "综合科")),
    inst("jianzhusheji", "{G}建筑设计院", "{g}建筑设计院", _COMMERCIAL, parent="zhujian", levels="c",
         size=(40, 70, 0, 0), focus="建筑设计",
         departments=("建筑设计所", "结构设计所", "市政设计所", "技术质量科")),
    inst("cehui", "{G}勘察测绘院", "{g}测绘院", _COMMERCIAL, parent="ziranziyuan", levels="c",
         size=(30, 60, 0, 0), focus="勘察测绘", departments=("测绘一所", "测绘二所", "质检科")),
    inst("liangku", "{G}粮食储备库", "{g}粮库", _COMMERCIAL, county_tier=3, parent="fagai", size=(15, 30, 8, 20),
         staff="staff", focus="粮食储备", departments=("仓储科", "质检科", "财务科")),
    inst("zhufangbaozhang", "{G}住房保障服务中心", "{g}住房保障中心", _INST, county_tier=3, parent="zhujian",
         levels="k", size=(0, 0, 10, 20), focus="住房保障", departments=("保障房管理科", "综合科")),
    inst("shengtaijiance", "{G}生态环境监控中心", "{g}生态环境监控中心", _INST, parent="shengtai",
         levels="c", size=(30, 50, 0, 0), staff="engineer", field="engineering", focus="生态环境监测",
         departments=("环境监测科", "分析实验室", "信息科")),
    inst("kejiguan", "{G}科技馆", "{g}科技馆", _INST, parent="kexie", levels="c", size=(15, 25, 0, 0),
         focus="科普展教", departments=("展教部", "科普活动部")),
    inst("kangfu", "{G}残疾人康复中心", "{g}残疾人康复中心", _INST, county_tier=3, parent="canlian",
         size=(15, 30, 6, 15), staff="medical", profile="medical", field="medical",
         focus="残疾人康复", departments=("康复训练部", "评估部")),
    inst("linchang", "{G}国有林场", "{g}国有林场", _INST, parent="linye", tier=3, size=(30, 60, 15, 40),
         staff="agronomist", field="agri", focus="森林资源培育和保护",
         departments=("营林科", "资源管护科", "防火科")),
    inst("yuanlin", "{G}园林绿化服务中心", "{g}园林中心", _INST, parent="chengguan", tier=3,
         size=(30, 60, 10, 25), staff="engineer", field="engineering", focus="园林绿化",
         departments=("绿化管理科", "养护科", "苗圃")),
    inst("huanwei", "{G}环境卫生服务中心", "{g}环卫中心", _INST, parent="chengguan", tier=3, nature=PW2,
         funding=F.PARTIAL, size=(40, 80, 15, 40), focus="环境卫生",
         departments=("清扫保洁科", "垃圾处理科", "设备科")),
    inst("gongrengong", "{G}工人文化宫", "{g}工人文化宫", _INST, parent="gonghui", tier=3, levels="c",
         nature=PW2, funding=F.PARTIAL, size=(10, 20, 0, 0), field="culture", focus="职工文化",
         departments=("活动部", "培训部")),
    inst("dizhen", "{G}地震监测中心", "{g}地震监测中心", _INST, parent="yingji", tier=3,
         size=(8, 15, 4, 8), staff="engineer", field="engineering", focus="地震监测",
         departments=("监测科", "预警科")),
    inst("dangjiao", "{G}党员教育中心", "{g}党员教育中心", _INST, parent="zuzhi", tier=3,
         size=(8, 15, 4, 8), field="organ", focus="党员教育", departments=("电教科", "培训科")),
)


@dataclass(frozen=True)
class TownshipTemplate:
    """One 事业单位 that a 乡镇 or 街道 holds; ``where`` limits it to 乡镇 or 街道."""

    key: str
    name: str  # after the township's full prefix: 卫生院
    street_name: str | None  # in a 街道, or None when 街道 have none
    parent: str  # "township" or the key of a county department
    nature: UnitNature = PW1
    funding: Funding = Funding.FULL
    accounts: str = "inst"
    size: tuple[int, int] = (5, 12)
    tier: int = 2
    profile: str = "general"
    field: str = "general"
    staff: str = "staff"
    school: str = ""
    departments: tuple[str, ...] = ("综合部", "业务部")
    focus: str = "基层公共服务"
    established: tuple[int, int] = (1958, 2010)


TOWNSHIP_TEMPLATES: tuple[TownshipTemplate, ...] = (
    TownshipTemplate("weishengyuan", "卫生院", "社区卫生服务中心", "weijian", nature=PW2,
                     funding=F.PARTIAL, size=(15, 35), tier=1, profile="medical",
                     field="medical", staff="medical", focus="基本医疗和公共卫生服务",
                     departments=("医务科", "护理部", "公共卫生科", "药房", "检验室")),
    TownshipTemplate("zhongxinxuexiao", "中心学校", None, "jiaoyu", size=(30, 80), tier=1,
                     profile="teaching", field="teaching", staff="teacher", school="小学",
                     focus="义务教育", departments=("教导处", "总务处", "安全办", "教研室")),
    TownshipTemplate("zonghefuwu", "综合服务站", "综合服务站", "township", size=(6, 15),
                     established=(2005, 2019),
                     departments=("综合服务部", "农业服务部", "社会事务部")),
    TownshipTemplate("zhifadui", "综合行政执法队", "综合行政执法队", "township", tier=3,
                     nature=CSM, accounts="csm", size=(5, 12), profile="organ", field="organ",
                     staff="civil", focus="综合行政执法", established=(2019, 2020),
                     departments=("执法一中队", "执法二中队")),
    TownshipTemplate("dangqun", "党群服务中心", "党群服务中心", "township", size=(4, 10), tier=3,
                     field="organ", established=(2019, 2021),
                     departments=("党建服务部", "便民服务部")),
    TownshipTemplate("nongyezhan", "农业综合服务站", None, "nongye", size=(5, 12), tier=3,
                     field="agri", staff="agronomist", focus="农业技术服务",
                     departments=("农技推广部", "畜牧兽医部")),
    TownshipTemplate("tuiyizhan", "退役军人服务站", "退役军人服务站", "tuiyi", size=(2, 5), tier=3,
                     established=(2019, 2020), departments=("服务保障部", "综合部")),
    TownshipTemplate("youeryuan", "中心幼儿园", None, "jiaoyu", size=(8, 20), tier=3,
                     profile="teaching", field="teaching", staff="kindergarten", school="幼儿园",
                     focus="学前教育", departments=("保教部", "总务处")),
)

# Hebei's township reform gave every 乡镇 the same set of 综合办事机构.
TOWNSHIP_DEPARTMENTS = ("党政综合办公室", "党建工作办公室", "经济发展办公室", "社会事务办公室",
                        "平安建设办公室", "自然资源和生态环境办公室", "农业农村办公室")
STREET_DEPARTMENTS = ("党政综合办公室", "党建工作办公室", "社区建设办公室", "平安建设办公室",
                      "城市管理办公室", "社会事务办公室")
VILLAGE_SCHOOL = TownshipTemplate("cunxiaoxue", "{V}小学", None, "jiaoyu", size=(6, 20),
                                  profile="teaching", field="teaching", staff="teacher",
                                  school="小学", focus="小学教育", departments=("教导处", "总务处"))
