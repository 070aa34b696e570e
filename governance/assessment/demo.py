"""Demo data: the street's 30-item work list (Longgang "1+7" style), admission requests in every
state, an indicator set (上考下评), two quarters scored and rolled up. Idempotent by code."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from governance.assessment.choices import Holder, Responsibility

P, W, R = Holder.PARTY_COMMITTEE, Holder.WORKSTATION, Holder.RESIDENTS_COMMITTEE
LEAD, ASSIST = Responsibility.LEAD, Responsibility.ASSIST

# 社区工作事项清单 (30 items): holder, responsibility, title, description, legal basis.
WORK_ITEMS = [
    (
        P,
        LEAD,
        "社区党组织自身建设",
        "加强社区综合党委班子建设，落实“三会一课”、主题党日和组织生活会制度。",
        "《中国共产党支部工作条例（试行）》",
    ),
    (
        P,
        LEAD,
        "领导社区各类组织",
        "领导社区工作站、居委会、股份合作公司，统筹社会组织和驻区单位参与社区治理。",
        "《中国共产党章程》第三十三条",
    ),
    (
        P,
        LEAD,
        "社区重大事项决策",
        "对社区建设、公共服务和居民切身利益的重大事项进行讨论决定（大事共议、要事共决）。",
        "龙岗区“1+7”文件",
    ),
    (
        P,
        LEAD,
        "党员教育管理",
        "做好党员发展、教育、管理、监督和服务，流动党员、离退休党员纳入管理。",
        "《中国共产党党员教育管理工作条例》",
    ),
    (
        P,
        LEAD,
        "在职党员双报到管理",
        "接收在职党员到居住地社区报到，设岗定责，反馈表送所在单位纳入民主评议。",
        "中组部关于在职党员到社区报到的通知",
    ),
    (
        P,
        LEAD,
        "社区纪检监督",
        "社区纪委对社区干部履职、“三资”管理和居务公开进行监督。",
        "《中国共产党纪律检查委员会工作条例》",
    ),
    (
        P,
        LEAD,
        "群团组织建设",
        "指导社区工会、共青团、妇联等群团组织开展工作，联系服务群众。",
        "群团组织章程",
    ),
    (
        P,
        LEAD,
        "共驻共建联席会议",
        "召集驻区单位联席会议，轮值主席交接，签订共建协议并认领项目。",
        "城市基层党建工作有关规定",
    ),
    (
        P,
        ASSIST,
        "意识形态和精神文明建设",
        "协助开展理论宣讲、文明创建和志愿服务活动。",
        "《新时代公民道德建设实施纲要》",
    ),
    (
        P,
        ASSIST,
        "社区统战和民族宗教工作",
        "协助做好社区统一战线和民族团结进步工作。",
        "《中国共产党统一战线工作条例》",
    ),
    (
        W,
        LEAD,
        "社区政务服务代办",
        "承接就业、社保、医保、民政、计生等政务服务事项的受理和代办。",
        "《深圳市社区工作站管理办法》",
    ),
    (
        W,
        LEAD,
        "网格化管理与民情诉求受理",
        "落实网格员巡查，受理民情诉求，按“三事分办”分流办理。",
        "《深圳市社区网格化管理办法》",
    ),
    (
        W,
        LEAD,
        "社区综合治理与治安防控",
        "组织开展矛盾纠纷排查化解、治安巡防和平安创建。",
        "《中华人民共和国人民调解法》",
    ),
    (
        W,
        LEAD,
        "社区安全生产和消防检查",
        "对社区“三小”场所、出租屋开展安全生产和消防安全巡查。",
        "《中华人民共和国安全生产法》第七十九条",
    ),
    (
        W,
        LEAD,
        "出租屋和流动人口服务管理",
        "登记出租屋和流动人口信息，做好居住登记和服务。",
        "《居住证暂行条例》",
    ),
    (
        W,
        LEAD,
        "社区社会救助",
        "低保、特困、临时救助的申请受理、入户调查和公示。",
        "《社会救助暂行办法》",
    ),
    (
        W,
        LEAD,
        "养老助残服务",
        "组织居家养老、助残服务，高龄津贴和残疾人两项补贴申请受理。",
        "《中华人民共和国老年人权益保障法》",
    ),
    (
        W,
        ASSIST,
        "应急管理和防灾减灾",
        "协助做好防汛防台、突发事件先期处置和应急演练。",
        "《中华人民共和国突发事件应对法》",
    ),
    (
        W,
        ASSIST,
        "环境卫生和市容管理",
        "协助开展环境卫生整治、垃圾分类宣传和市容巡查。",
        "《城市市容和环境卫生管理条例》",
    ),
    (
        W,
        ASSIST,
        "统计调查",
        "协助开展人口普查、经济普查等国家统计调查。",
        "《中华人民共和国统计法》",
    ),
    (
        R,
        LEAD,
        "居民自治和居民会议",
        "召集居民会议、居民议事会，制定居民公约和小区自治章程。",
        "《中华人民共和国城市居民委员会组织法》",
    ),
    (
        R,
        LEAD,
        "居务公开和民主监督",
        "定期公开居务、财务，接受居民监督。",
        "《中华人民共和国城市居民委员会组织法》第十条",
    ),
    (
        R,
        LEAD,
        "社区民主协商",
        "组织居民、驻区单位、物业、业委会开展协商（三方联动）。",
        "《关于加强城乡社区协商的意见》",
    ),
    (
        R,
        LEAD,
        "业主委员会和物业管理指导",
        "指导业主大会、业委会依法履职，调处物业纠纷。",
        "《物业管理条例》第二十条",
    ),
    (
        R,
        LEAD,
        "人民调解",
        "设立人民调解委员会，调解居民之间的民间纠纷。",
        "《中华人民共和国人民调解法》第八条",
    ),
    (R, LEAD, "社区志愿服务", "组织居民志愿者队伍，开展邻里互助和微心愿服务。", "《志愿服务条例》"),
    (
        R,
        ASSIST,
        "公共卫生和健康服务",
        "协助开展爱国卫生运动、健康宣教和疫情防控。",
        "《中华人民共和国基本医疗卫生与健康促进法》",
    ),
    (
        R,
        ASSIST,
        "优抚和退役军人服务",
        "协助做好退役军人和优抚对象的走访慰问和服务。",
        "《中华人民共和国退役军人保障法》",
    ),
    (
        R,
        ASSIST,
        "社区矫正和安置帮教",
        "协助做好社区矫正对象、刑满释放人员的帮教工作。",
        "《中华人民共和国社区矫正法》",
    ),
    (
        R,
        ASSIST,
        "青少年和妇女儿童权益保护",
        "协助做好未成年人保护、妇女儿童权益维护。",
        "《中华人民共和国未成年人保护法》",
    ),
]

ADMISSIONS = [
    # code, community, department, title, authority, staff, funds, state
    (
        "ZR-2026-001",
        "TD-ZQ-YL",
        "区应急管理局",
        "老旧小区燃气安全入户排查",
        "《城镇燃气管理条例》",
        2,
        "30000",
        "approved",
    ),
    (
        "ZR-2026-002",
        "TD-ZQ-YL",
        "区市场监管局",
        "辖区商户食品安全台账代填报",
        "",
        0,
        "0",
        "refused",
    ),
    (
        "ZR-2026-003",
        "TD-ZQ-SL",
        "区统计局",
        "第五次全国经济普查清查入户",
        "《中华人民共和国统计法》",
        3,
        "45000",
        "approved",
    ),
    ("ZR-2026-004", "TD-ZQ-SL", "区文旅局", "社区书屋借阅量月报", "", 0, "0", "community_refused"),
    (
        "ZR-2026-005",
        "TD-ZQ-DM",
        "区住建局",
        "既有住宅加装电梯意见征集",
        "《物业管理条例》",
        1,
        "0",
        "pending",
    ),
    (
        "ZR-2026-006",
        "TD-ZQ-DM",
        "区卫健委",
        "适龄儿童疫苗接种提醒",
        "《中华人民共和国疫苗管理法》",
        1,
        "8000",
        "pending",
    ),
    (
        "ZR-2026-007",
        "TD-ZQ-YL",
        "区城管局",
        "门前三包日巡查拍照上报",
        "",
        0,
        "0",
        "community_refused",
    ),
]

ASPECTS = [
    (
        "DJ",
        "组织建设",
        Decimal("40"),
        [
            ("DJ-01", "三会一课和主题党日落实", Decimal("15"), Decimal("10"), ""),
            ("DJ-02", "楼栋党小组覆盖", Decimal("10"), Decimal("10"), "branch_group_coverage"),
            ("DJ-03", "党员教育管理台账", Decimal("15"), Decimal("10"), ""),
        ],
    ),
    (
        "FW",
        "服务群众",
        Decimal("35"),
        [
            ("FW-01", "民情诉求办理", Decimal("15"), Decimal("20"), ""),
            ("FW-02", "志愿服务和微心愿", Decimal("10"), Decimal("10"), ""),
            (
                "FW-03",
                "准入事项依规处理",
                Decimal("10"),
                Decimal("10"),
                "admission_refusal_recorded",
            ),
        ],
    ),
    (
        "GJ",
        "共驻共建",
        Decimal("25"),
        [
            ("GJ-01", "共建联席会议召开", Decimal("10"), Decimal("10"), ""),
            ("GJ-02", "驻区单位项目认领", Decimal("15"), Decimal("10"), ""),
        ],
    ),
]

QUARTERS = [
    ("TD-ZQ-KH-2026Q1", "2026年第一季度党建目标考核", date(2026, 1, 1), date(2026, 3, 31)),
    ("TD-ZQ-KH-2026Q2", "2026年第二季度党建目标考核", date(2026, 4, 1), date(2026, 6, 30)),
]


def seed(stdout) -> None:
    from django.contrib.auth import get_user_model

    from organizations.models import Organization

    User = get_user_model()
    street_user = User.objects.filter(username="street").first()
    if street_user is None or not Organization.objects.filter(code="TD-ZQ").exists():
        stdout.write("  跳过：缺少演示街道 TD-ZQ 或街道管理员")
        return
    orgs = {o.code: o for o in Organization.objects.filter(code__startswith="TD-ZQ")}
    _work_list(stdout, street_user, orgs)
    _admissions(stdout, street_user, orgs)
    indicator_set = _indicator_set(stdout, street_user)
    for code, name, starts, ends in QUARTERS:
        _quarter(stdout, street_user, orgs, indicator_set, code, name, starts, ends)


def _work_list(stdout, actor, orgs) -> None:
    from governance.assessment.models import WorkItem, WorkListVersion
    from governance.assessment.services import worklist_publish, worklist_version_create

    version = WorkListVersion.objects.filter(code="TD-ZQ-WL-2026").first()
    if version is None:
        version = worklist_version_create(
            actor=actor,
            street=orgs["TD-ZQ"],
            code="TD-ZQ-WL-2026",
            title="站前街道社区工作事项清单（2026年版）",
            effective_on=date(2026, 1, 1),
            note="按“主体责任”“协助责任”区分；清单以外事项按《社区工作准入办法》实施准入审批。",
        )
        WorkItem.objects.bulk_create(
            WorkItem(
                version=version,
                code=f"TD-ZQ-WL-2026-{i:02d}",
                seq=i,
                holder=holder,
                responsibility=resp,
                title=title,
                description=desc,
                legal_basis=basis,
                is_public=True,
            )
            for i, (holder, resp, title, desc, basis) in enumerate(WORK_ITEMS, start=1)
        )
        version = worklist_publish(actor=actor, version=version)
    stdout.write(f"  工作事项清单：{version.items.count()} 项（{version.get_status_display()}）")


def _admissions(stdout, actor, orgs) -> None:
    from django.contrib.auth import get_user_model

    from governance.assessment.models import AdmissionRequest
    from governance.assessment.services import (
        admission_approve,
        admission_community_refuse,
        admission_file,
        admission_refuse,
    )

    existing = set(AdmissionRequest.objects.values_list("code", flat=True))
    User = get_user_model()
    for code, community, dept, title, authority, staff, funds, state in ADMISSIONS:
        if code in existing:
            continue
        request = admission_file(
            actor=actor,
            code=code,
            community=orgs[community],
            department=dept,
            title=title,
            legal_authority=authority,
            staff_count=staff,
            funds=Decimal(funds),
            starts_on=date(2026, 4, 1),
            ends_on=date(2026, 9, 30),
        )
        if state == "approved":
            admission_approve(actor=actor, request=request, reason="依据充分，人员经费已落实。")
        elif state == "refused":
            admission_refuse(actor=actor, request=request, reason="无法定依据，人员经费未随事转。")
        elif state == "community_refused":
            cadre = User.objects.filter(scope_assignments__organization__code=community).first()
            admission_community_refuse(actor=cadre or actor, request=request)
    stdout.write(f"  准入申请：{AdmissionRequest.objects.count()} 件")


def _indicator_set(stdout, actor):
    from governance.assessment.models import Indicator, IndicatorSet
    from governance.assessment.services import indicator_set_activate

    indicator_set, created = IndicatorSet.objects.get_or_create(
        code="TD-DJ-2026",
        defaults={
            "name": "站前街道社区党建目标考核（上考下评）",
            "weight_total": Decimal("100"),
            "assessed_kinds": ["community_committee", "compound_branch"],
            "note": "参照铁东区“上考下评”5个方面278个条目的综合考核体系精简。",
        },
    )
    if created:
        for a_seq, (a_code, a_name, a_weight, items) in enumerate(ASPECTS, start=1):
            aspect = Indicator.objects.create(
                indicator_set=indicator_set,
                code=a_code,
                name=a_name,
                weight=a_weight,
                seq=a_seq,
            )
            for i_seq, (code, name, weight, max_score, figure) in enumerate(items, start=1):
                item = Indicator(
                    indicator_set=indicator_set,
                    parent=aspect,
                    code=code,
                    name=name,
                    weight=weight,
                    max_score=max_score,
                    seq=i_seq,
                    source="automatic" if figure else "manual",
                    figure=figure,
                )
                item.full_clean()
                item.save()
        indicator_set = indicator_set_activate(actor=actor, indicator_set=indicator_set)
    stdout.write(f"  考核指标体系：{indicator_set.indicators.count()} 项指标")
    return indicator_set


def _quarter(stdout, actor, orgs, indicator_set, code, name, starts, ends) -> None:
    from governance.assessment.models import Assessment, RollupRun
    from governance.assessment.services import assessment_create, score_enter, tally_record
    from governance.assessment.services.rollup import rollup_execute

    if Assessment.objects.filter(code=code).exists():
        return
    assessment = assessment_create(
        actor=actor,
        code=code,
        name=name,
        organizer=orgs["TD-ZQ"],
        indicator_set=indicator_set,
        period_kind="quarter",
        starts_on=starts,
        ends_on=ends,
    )
    rng = random.Random(code)
    items = list(indicator_set.indicators.filter(parent__isnull=False, source="manual"))
    targets = [o for o in orgs.values() if o.kind in indicator_set.assessed_kinds]
    for org in sorted(targets, key=lambda o: o.code):
        for item in items:
            value = (item.max_score * Decimal(rng.randint(60, 100)) / 100).quantize(Decimal("0.5"))
            score_enter(
                actor=actor,
                assessment=assessment,
                organization=org,
                indicator=item,
                value=value,
                evidence="查阅台账、实地检查",
            )
        for voter_kind in ("member", "resident"):
            total = rng.randint(30, 60)
            satisfied = rng.randint(total // 2, total)
            basically = rng.randint(0, total - satisfied)
            tally_record(
                actor=actor,
                assessment=assessment,
                organization=org,
                voter_kind=voter_kind,
                satisfied=satisfied,
                basically_satisfied=basically,
                dissatisfied=total - satisfied - basically,
                held_on=ends,
            )
    run = RollupRun.objects.create(assessment=assessment, requested_by=actor, message="演示数据")
    run = rollup_execute(run_id=run.pk)
    stdout.write(f"  {name}：{run.result_count} 个组织已汇总排名")
