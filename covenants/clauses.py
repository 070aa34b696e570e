"""The standard agreement text: seed 004's 共驻共建协议 (preamble and ten clauses).

A street's template (``AgreementTemplate``) starts from this text and can then be edited;
each agreement copies its street's clauses when it is drafted, so later template edits never
change an agreement already drafted or signed.
"""

DEFAULT_TITLE = "共驻共建协议书"

DEFAULT_PREAMBLE = (
    "根据中省市城市基层党建会议精神和区委关于街道“大工委”社区“大党委”的有关要求，"
    "为了充分整合辖区党组织资源，共同为建设“共驻共建、管理有序、服务完善、环境优美、文明祥和”"
    "的街道社区贡献力量，进一步增强基层党组织的凝聚力、战斗力和吸引力，本着“区域统筹、资源整合、"
    "优势互补、共建共享”的原则，经双方协商，特签订如下协议："
)

DEFAULT_CLAUSES = [
    "乙方要树立“驻在社区、服务社区、共建社区”的意识，积极支持和参与街道“大工委”的各项工作，"
    "努力形成“工作在单位、活动在社区、奉献双岗位”的良好局面。",
    "乙方应充分利用自身的人力、物力、财力、单位职能等资源优势对街道“大工委”的社区建设提供"
    "力所能及的支持。单位活动场地设施尽可能对辖区居民开放，有专长的人员要积极参加街道“大工委”"
    "组织的活动，为辖区居民提供无偿服务。",
    "乙方根据单位现有资源认领的服务项目，要主动开展活动，并形成常态化，尽最大努力为辖区居民"
    "办实事、解难事、做好事。",
    "乙方完成服务项目后，应将相应的活动方案以及活动记录、影像资料备份一份交给甲方保存。",
    "甲方应及时向乙方反映社情民意，积极提供辖区居民需求、对活动的意见及建议等方面的情况，"
    "努力营造优良的共建环境。",
    "甲方要加强自身建设，不断提高工作能力和水平，切实承担起街道“大工委”的相关职能，在乙方的"
    "支持和指导下，充分发挥作用，把党和国家的方针政策宣传到位，着力构建文明和谐社区。",
    "在共驻共建工作中，甲方与乙方要本着协商议事的原则开展各项工作。",
    "为增进双方了解，做好共建工作，甲方要定期向乙方通报社区建设情况，并征求乙方的意见和建议。",
    "其他未尽事宜，双方协商补充。",
    "本协议经双方签订，共同遵守，协议一式两份，双方各执一份。本协议经双方签字生效。",
]

CHINESE_NUMERALS = "零一二三四五六七八九十"


def clause_label(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (clause headings as in the printed agreement)."""
    if number <= 10:
        return CHINESE_NUMERALS[number]
    tens, ones = divmod(number, 10)
    prefix = "" if tens == 1 else CHINESE_NUMERALS[tens]
    return f"{prefix}十{CHINESE_NUMERALS[ones] if ones else ''}"
