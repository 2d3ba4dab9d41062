"""The debrief extractor: a free-form paragraph fills the questions it speaks of, from the
checklist's own words, and leaves out plans, hearsay, other periods, ranges and bounds."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from assistant.data.checklist import AnswerType, Checklist, Item, load_checklist
from assistant.llm import LlmComponent
from assistant.services import PROMPTS_DIR
from assistant.visits.debrief import Debriefer, Extracted, read_value

STAFF = "flow.interview.staff."
LIQ = "flow.interview.liquidity."
REV = "flow.interview.revenue."
DEBT = "flow.interview.debt."
BIZ = "flow.interview.business."
USE = "flow.interview.loan_use."
PAY = "flow.interview.repayment."
COL = "flow.interview.collateral."
SUP = "flow.interview.supply_chain."


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist()


def offered(checklist: Checklist, kind: str) -> list[Item]:
    return [
        item
        for item in checklist.all_items()
        if item.step in ("interview", "checkpoints")
        and item.type is not AnswerType.TEXT
        and not any(
            c.kinds and kind not in c.kinds for c in (checklist.group(item.group).when, item.when)
        )
    ]


# (kind, lang, paragraph, the (id, value) pairs it states): hardware shops, restaurants, traders,
# small factories; run-on speech, terse notes, negations, ranges, hearsay and plans.
NARRATIVES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "corporate",
        "zh",
        "员工30，在岗26，月薪4500左右，月租两万二，去年做了三千二百万，工行还有500万贷款，没给别人担保",
        {
            STAFF + "headcount_total": 30,
            STAFF + "headcount_present": 26,
            STAFF + "avg_monthly_wage": 4500,
            STAFF + "monthly_rent": 22000,
            REV + "last_year": 32_000_000,
            DEBT + "other_debts": True,
            DEBT + "other_debts_amount": 5_000_000,
            DEBT + "guarantees": False,
        },
    ),
    (
        "individual",
        "zh",
        "张老板的五金店，店面大概120平，房子是租的，一个月租金8000。店里三个伙计。"
        "去年卖了四百来万，今年到现在一百五十万左右。毛利两成左右。",
        {
            STAFF + "headcount_total": 3,
            STAFF + "office_area": 120,
            STAFF + "monthly_rent": 8000,
            REV + "last_year": 4_000_000,
            REV + "year_to_date": 1_500_000,
            REV + "gross_margin": 20,
        },
    ),
    (
        "individual",
        "zh",
        "老板说还款压力不大，打算明年再开一家分店，到时候员工扩到10个人。听说隔壁那家欠了不少民间借贷。",
        {PAY + "pressure": "low"},
    ),
    (
        "corporate",
        "zh",
        "厂里工人二三十个，今天在岗的不到20个，应收款三百多万，库存大概80万，周转一次45天左右",
        {LIQ + "inventory": 800_000, LIQ + "inventory_turnover": 45},
    ),
    (
        "corporate",
        "zh",
        "应收款大约占营业额三成，最大的客户占四成，供货商给30天账期，没有别的银行贷款，也没有对外担保，"
        "有一个跟供货商的货款纠纷",
        {
            LIQ + "receivables_share": 30,
            SUP + "top_customer_share": 40,
            LIQ + "payables_terms": 30,
            DEBT + "other_debts": False,
            DEBT + "guarantees": False,
            DEBT + "open_disputes": True,
        },
    ),
    (
        "individual",
        "zh",
        "餐馆，面积200平米，员工12个，在岗10个，月租3.5万，去年营业额180万，上个月营业额20万，今年以来做了90万",
        {
            STAFF + "office_area": 200,
            STAFF + "headcount_total": 12,
            STAFF + "headcount_present": 10,
            STAFF + "monthly_rent": 35_000,
            REV + "last_year": 1_800_000,
            REV + "year_to_date": 900_000,
        },
    ),
    (
        "corporate",
        "zh",
        "贷款已经用了80万，和合同约定的用途一致，还款靠经营收入，半年内到期要还的大概200万，到期后打算续贷",
        {
            USE + "amount_used": 800_000,
            USE + "used_as_agreed": "as_agreed",
            PAY + "repayment_source": "operating_income",
            PAY + "due_soon": 2_000_000,
            PAY + "renewal_needed": True,
        },
    ),
    (
        "corporate",
        "zh",
        "账上能动用的现金大概50万，应付账款120万，资产负债率六成左右",
        {LIQ + "emergency_funds": 500_000, LIQ + "payables": 1_200_000, DEBT + "debt_ratio": 60},
    ),
    (
        "individual",
        "en",
        "About thirty staff, 26 on site today. Average wage around 4,500 a month, rent 22k a "
        "month. Turnover last year was 32 million. No guarantees for anyone else.",
        {
            STAFF + "headcount_total": 30,
            STAFF + "headcount_present": 26,
            STAFF + "avg_monthly_wage": 4500,
            STAFF + "monthly_rent": 22_000,
            REV + "last_year": 32_000_000,
            DEBT + "guarantees": False,
        },
    ),
    (
        "individual",
        "en",
        "The shop is about 80 sqm. The owner plans to hire 10 more people next year. "
        "The neighbour says he owes money to loan sharks. No other loans.",
        {STAFF + "office_area": 80, DEBT + "other_debts": False},
    ),
    (
        "corporate",
        "en",
        "Receivables around 3 million, customers pay within 60 days. Stock worth about 1.2 "
        "million. Gross margin 15%. Repayment pressure is moderate. The loan was used as agreed.",
        {
            LIQ + "receivables": 3_000_000,
            LIQ + "receivables_terms": 60,
            LIQ + "inventory": 1_200_000,
            REV + "gross_margin": 15,
            PAY + "pressure": "moderate",
            USE + "used_as_agreed": "as_agreed",
        },
    ),
    (
        "corporate",
        "zh",
        "主营业务没变，地址也没搬，跟登记的地址一致，没有别的经营地点，上下游没什么变化",
        {
            BIZ + "main_business_changed": False,
            BIZ + "address_changed": False,
            BIZ + "site_matches_record": True,
            STAFF + "other_sites": False,
            SUP + "counterparties_changed": False,
        },
    ),
    (
        "individual",
        "zh",
        "员工八个，月薪三千五，房子是自己的，不交租，没有应收款",
        {
            STAFF + "headcount_total": 8,
            STAFF + "avg_monthly_wage": 3500,
            STAFF + "monthly_rent": 0,
            LIQ + "receivables": 0,
        },
    ),
    (
        "corporate",
        "zh",
        "接待的是财务负责人，员工一百二十人左右，去年销售额1.2亿，今年到现在六千万，毛利率大概18%",
        {
            BIZ + "interviewee": "finance_head",
            STAFF + "headcount_total": 120,
            REV + "last_year": 120_000_000,
            REV + "year_to_date": 60_000_000,
            REV + "gross_margin": 18,
        },
    ),
    (
        "corporate",
        "zh",
        "员工30个人左右，比去年同期多了5个，营业额同比下降了两成",
        {STAFF + "headcount_total": 30},
    ),
    ("individual", "zh", "今天去看了一下，店里挺忙的，老板人不错。", {}),
    ("corporate", "zh", "员工二三十个，应收20到30万，毛利不到三成", {}),
    (
        "individual",
        "zh",
        "水果批发，档口60平，月租六千，伙计4个，今天都在，去年流水八百多万",
        {
            STAFF + "office_area": 60,
            STAFF + "monthly_rent": 6000,
            STAFF + "headcount_total": 4,
            STAFF + "headcount_present": 4,  # 都在: all four of them
        },
    ),
    (
        "corporate",
        "zh",
        "小加工厂，厂房1500平方米，工人45名，今天在岗40名，人均工资五千二",
        {
            STAFF + "office_area": 1500,
            STAFF + "headcount_total": 45,
            STAFF + "headcount_present": 40,
            STAFF + "avg_monthly_wage": 5200,
        },
    ),
    (
        "corporate",
        "zh",
        "听说老板在外面借了高利贷，他自己说没有别的借款",
        {DEBT + "other_debts": False},
    ),
    (
        "individual",
        "zh",
        "打算下个月搬到新店，现在店面80平",
        {STAFF + "office_area": 80},
    ),
    (
        "corporate",
        "zh",
        "库存8k",
        {LIQ + "inventory": 8000},  # in 元, although the question is asked in 万元
    ),
    (
        "individual",
        "zh",
        "库存大概值8k块钱，应付款两万",
        {LIQ + "inventory": 8000, LIQ + "payables": 20_000},
    ),
    (
        "corporate",
        "zh",
        "给朋友的厂子担保了200万，抵押的厂房现在值800万左右，抵押物没什么问题",
        {
            DEBT + "guarantees": True,
            DEBT + "guarantees_amount": 2_000_000,
            COL + "market_value": 8_000_000,
            COL + "problem": False,
        },
    ),
    (
        "corporate",
        "zh",
        "还款压力有点大，还款主要靠收回应收款",
        {PAY + "pressure": "moderate", PAY + "repayment_source": "receivables"},
    ),
    (
        "corporate",
        "zh",
        "有没有对外担保还没问",
        {},
    ),
    (
        "individual",
        "en",
        "Rent is 6,000 a month. Between 20 and 30 people work there. Over 50 customers.",
        {STAFF + "monthly_rent": 6000},
    ),
    (
        "individual",
        "en",
        "Has not moved. The shop matches the file. Has not guaranteed anyone.",
        {
            BIZ + "address_changed": False,
            BIZ + "site_matches_record": True,
            DEBT + "guarantees": False,
        },
    ),
    (
        "corporate",
        "en",
        "Staff 45, 40 at work today, monthly wage 5,200. Owes suppliers 1.5 million.",
        {
            STAFF + "headcount_total": 45,
            STAFF + "headcount_present": 40,
            STAFF + "avg_monthly_wage": 5200,
            LIQ + "payables": 1_500_000,
        },
    ),
    (
        "corporate",
        "zh",
        "贸易公司，员工15人，应收账期一般60天，给供应商的账期30天，最大的客户占三成左右",
        {
            STAFF + "headcount_total": 15,
            LIQ + "receivables_terms": 60,
            LIQ + "payables_terms": 30,
            SUP + "top_customer_share": 30,
        },
    ),
    (
        "individual",
        "zh",
        "隔壁那家说他生意不行了，准备关门",
        {},
    ),
    (
        "corporate",
        "zh",
        "月租两万二，员工三十来个",
        {STAFF + "monthly_rent": 22_000, STAFF + "headcount_total": 30},
    ),
    # A need denied, a whole clause denied, and a yearly rent for a monthly question.
    (
        "individual",
        "zh",
        "到期不需要续贷，没有拿钱做别的投资，厂房租金一年大概三十万",
        {
            "flow.interview.repayment.renewal_needed": False,
            DEBT + "investments": False,
        },
    ),
    # Numbers that name something are not figures: an ID, a shop number, a phone number.
    (
        "individual",
        "zh",
        "借款人：张某某 身份证尾号0417 店名：老张烟酒 地址：和平路166号 电话13905718842",
        {},
    ),
    # A topic named once goes on: the collateral's size and value are not the premises', the
    # guarantor's business is not the borrower's, until the paragraph turns back to the shop.
    (
        "corporate",
        "zh",
        "押品是一间仓库，面积300平，现在市价大概80万。保证人是老板的表弟，经营正常。"
        "店里员工8个，面积200平。",
        {
            COL + "area": 300,
            COL + "market_value": 800_000,
            "check.corporate.periodic.guarantor": "normal",
            STAFF + "headcount_total": 8,
            STAFF + "office_area": 200,
        },
    ),
    (
        "individual",
        "zh",
        "抵押物是一套厂房。现在估值大概500万，位置和档案对得上。",
        {COL + "market_value": 5_000_000, COL + "location_matches": True},
    ),
    # Unpunctuated notes: a space before Chinese words ends a clause, not one between a cue and
    # its figure; neighbouring digits are a range; a figure right after a cue takes it first.
    (
        "individual",
        "zh",
        "小吃店 员工9 在岗七八个 月租 九千 毛利两成五 贷款40万已经用了36万",
        {
            STAFF + "headcount_total": 9,
            STAFF + "monthly_rent": 9000,
            REV + "gross_margin": 25,
            USE + "amount_used": 360_000,
        },
    ),
    # A correction replaces the figure just given; a relative's business is not the client's.
    (
        "individual",
        "zh",
        "店里员工七个，哦不对，是九个。老板的表哥在城南另外开了一家饭店，员工二十个，月租三万。",
        {STAFF + "headcount_total": 9},
    ),
    # Figures once so, on paper or found untrue are not today's; what is expected or in doubt
    # is no fact; "除此之外没有" denies only more of the same.
    (
        "individual",
        "zh",
        "以前月租八千，现在月租一万。他说的存货四十万对不上。今年应该能过两百万，能不能续贷还没准。"
        "在建行还有一笔30万的经营贷，除此之外没有别的借款。",
        {
            STAFF + "monthly_rent": 10_000,
            DEBT + "other_debts": True,
            DEBT + "other_debts_amount": 300_000,
            # The stock the officer saw is not what the owner said: that much is a fact.
            "check.individual.periodic.working_capital.stock_seen": False,
        },
    ),
    # English notes: who received the officer, counts before their cue, units as cues, an
    # expectation the question asks for, "unchanged" as a denial.
    (
        "corporate",
        "en",
        "Met the CFO, Ms. Li. 30 staff, 25 in the office today. Plant about 1,500 sqm. Market "
        "stable; the guarantor is doing fine. Main business unchanged. Customers usually pay in "
        "45 days, and she expects to collect about 90% of receivables.",
        {
            BIZ + "interviewee": "finance_head",
            BIZ + "main_business_changed": False,
            STAFF + "headcount_total": 30,
            STAFF + "headcount_present": 25,
            STAFF + "office_area": 1500,
            LIQ + "receivables_terms": 45,
            LIQ + "expected_recovery": 90,
            "check.corporate.periodic.market": "stable",
            "check.corporate.periodic.guarantor": "normal",
        },
    ),
    (
        "individual",
        "en",
        "Payables around RMB 1.5m. He sold his car last month. No family events.",
        {
            LIQ + "payables": 1_500_000,
            "check.individual.periodic.asset_changes": True,
            "check.individual.periodic.family_changes": False,
        },
    ),
    # "借款人的丈夫" is not the borrower; "没被查封" denies the seizure; a cue after several
    # figures and before none is no one's.
    (
        "individual",
        "zh",
        "今天是借款人的丈夫接待的。抵押物没被查封，完好。贷款50万其中30万进货20万买了理财。",
        {
            DEBT + "investments": True,
            COL + "problem": False,
            "check.individual.periodic.collateral_intact": "intact",
        },
    ),
    # "账期" alone is the terms of the side named last; a sum stands over its parts; "没有别的"
    # after a yes denies only more of it.
    (
        "corporate",
        "zh",
        "应付货款大概80万 账期40天 应收大概120万 账期一般60天。在工行有一笔100万的贷款，"
        "另外找亲戚借了30万，其他负债合计130万，没有别的借款。",
        {
            LIQ + "payables": 800_000,
            LIQ + "payables_terms": 40,
            LIQ + "receivables": 1_200_000,
            LIQ + "receivables_terms": 60,
            DEBT + "other_debts": True,
            DEBT + "other_debts_amount": 1_300_000,
        },
    ),
    # A bare count is no share; assets pledged to another lender are not a loan of their own.
    (
        "corporate",
        "en",
        "Repayment will come from collecting receivables from three customers. The largest "
        "customer takes 30% of sales.",
        {PAY + "repayment_source": "receivables", SUP + "top_customer_share": 30},
    ),
    (
        "corporate",
        "zh",
        "另一处仓库抵押给了农行，抵押金额300万。员工20个。",
        {LIQ + "pledged_amount": 3_000_000, STAFF + "headcount_total": 20},
    ),
    # A choice named in an earlier clause or sentence ("经营异常…", "案子…") and answered later:
    # the effect belongs to the matter named last.
    (
        "corporate",
        "zh",
        "公示系统里这家公司被列入了经营异常名录，原因是去年的年报没按时报送，老板说对生意没什么影响。"
        "裁判文书网上查到一起买卖合同的案子，已经判了，对经营有一点影响。",
        {
            BIZ + "registry_reason": "no_annual_report",
            BIZ + "registry_impact": "no_effect",
            DEBT + "litigation_impact": "minor",
        },
    ),
    # "本人" stresses the controller named before it; "一共12个。" counts people; words for
    # spending, stock and the agreed use.
    (
        "corporate",
        "zh",
        "接待的是实控人王总本人，店里一共12个，今天在岗10个。流贷都用于采购原材料，"
        "仓库里有对应的原料入库。贷款用途符合合同约定。",
        {
            BIZ + "interviewee": "actual_controller",
            STAFF + "headcount_total": 12,
            STAFF + "headcount_present": 10,
            USE + "used_as_agreed": "as_agreed",
            "check.corporate.periodic.working_capital.raw_materials": "all",
            "check.corporate.periodic.working_capital.materials_in_stock": True,
        },
    ),
    # The option before the cue, in clauses that name nothing else; "no. 2" numbers a
    # warehouse, it denies nothing.
    (
        "corporate",
        "en",
        "The accountant, Mr. Wu, received us. The raw materials are in warehouse no. 2.",
        {
            BIZ + "interviewee": "finance_head",
            "check.corporate.periodic.working_capital.materials_in_stock": True,
        },
    ),
    # "未决", "没了结" say a case is open; a market word with no option does not end the
    # collateral's topic; the shop's trade going down.
    (
        "individual",
        "zh",
        "未决诉讼有一起，是货款纠纷。抵押物是一间商铺。按现在行情估值大概200万。今年生意比去年下滑了。",
        {
            DEBT + "open_disputes": True,
            COL + "market_value": 2_000_000,
            "check.individual.periodic.business": "declining",
        },
    ),
    ("individual", "zh", "目前没有未了结的官司。", {DEBT + "open_disputes": False}),
    # "没还完" says a debt is owed; "放款以后" is since the loan, no plan; "行情变差" is the
    # market's, though "经营" was named just before.
    (
        "individual",
        "zh",
        "还有一笔车贷没还完，其他负债合计12万。放款以后地址没变，现场和档案登记的一致。经营正常。"
        "今年菜价低，行情变差。",
        {
            BIZ + "address_changed": False,
            BIZ + "site_matches_record": True,
            DEBT + "other_debts": True,
            DEBT + "other_debts_amount": 120_000,
            "check.individual.periodic.business": "normal",
            "check.individual.periodic.market": "worse",
        },
    ),
    # A clause that names two topics is two clauses; "one dispute" counts no one and a former
    # employee is no one on staff now; a figure waits past an aside.
    (
        "corporate",
        "en",
        "Unsecured loan with no collateral and no guarantor. 25 staff. One dispute with a former "
        "employee is pending; it has a minor effect on the business. No guarantees given for "
        "anyone. The site is the same as on our file. The biggest customer (a chain of bakeries) "
        "takes about 30% of sales.",
        {
            BIZ + "site_matches_record": True,
            STAFF + "headcount_total": 25,
            SUP + "top_customer_share": 30,
            DEBT + "guarantees": False,
            DEBT + "open_disputes": True,
            DEBT + "litigation_impact": "minor",
            "check.corporate.periodic.guarantor": "no_guarantor",
            "check.corporate.periodic.collateral_intact": "no_collateral",
        },
    ),
    (
        "individual",
        "zh",
        "信用贷款，无抵押无保证人。",
        {
            "check.individual.periodic.guarantor": "no_guarantor",
            "check.individual.periodic.collateral_intact": "no_collateral",
        },
    ),
    # A guess ("maybe 30") is no figure; "没用在原材料上" speaks of a part, the clause before
    # says how much.
    (
        "corporate",
        "en",
        "staff total 40 on site today maybe 30 hard to say",
        {STAFF + "headcount_total": 40},
    ),
    (
        "corporate",
        "zh",
        "流贷大部分买了钢材，有20万没用在原材料上。",
        {"check.corporate.periodic.working_capital.raw_materials": "partly"},
    ),
    # One fact asked twice is filled once, under the question the others repeat: the diverted
    # amount ("不符的金额", "挪用金额") at the interview, whichever question asked it; an amount
    # under a choice left open is dropped.
    (
        "individual",
        "zh",
        "贷款用途跟合同约定部分不符，不符的金额6万。今年卖了车。",
        {
            USE + "used_as_agreed": "partly",
            USE + "diverted_amount": 60_000,
            "check.individual.periodic.asset_changes": True,
        },
    ),
    (
        "corporate",
        "zh",
        "有80万被挪去炒股了，属于挤占挪用，挪用金额80万。",
        {
            DEBT + "investments": True,
            "check.corporate.periodic.misappropriation": True,
            USE + "diverted_amount": 800_000,
        },
    ),
    (
        "individual",
        "zh",
        "流水里的支出都打给了供货商和房东，和进货单对得上。还款来源是卖掉一辆车。",
        {
            "check.individual.purpose.payees_match": True,
            "check.individual.periodic.working_capital.payees_business": True,
            PAY + "repayment_source": "asset_sale",
        },
    ),
    # An enforcement record is a topic: its debt is not the payables; "目前没有…官司或纠纷"
    # denies both; "投资方" is an investor, not an investment.
    (
        "individual",
        "zh",
        "执行信息网上有一条被执行记录，欠供货商5万没还，对进货有点影响。目前没有未了结的官司或纠纷。"
        "公司在找新的投资方。应付货款大概20万。",
        {
            LIQ + "payables": 200_000,
            DEBT + "open_disputes": False,
            DEBT + "enforcement_impact": "minor",
        },
    ),
    # Two questions wait for the next clause's figure: its unit says whose it is; a stall's
    # number is no size.
    (
        "individual",
        "zh",
        "店面是租的，八十平，月租五千。摊位号C-18。本次贷款80万，已使用60万。",
        {
            STAFF + "office_area": 80,
            STAFF + "monthly_rent": 5000,
            USE + "amount_used": 600_000,
        },
    ),
    # A choice about the collateral waits past clauses about the collateral.
    (
        "individual",
        "zh",
        "抵押物是一套商铺，现场看了，和档案一致，没被查封，没有损坏。今天7个都在。",
        {
            STAFF + "headcount_present": 7,
            COL + "location_matches": True,
            COL + "problem": False,
            "check.individual.periodic.collateral_intact": "intact",
        },
    ),
    # A question about what is expected takes a prediction, not a wish; shares in words.
    (
        "corporate",
        "en",
        "Construction will be completed on time. The largest customer takes about a quarter of "
        "sales. The guarantor is doing normally. The loan went on stock, as the contract says.",
        {
            SUP + "top_customer_share": 25,
            USE + "used_as_agreed": "as_agreed",
            "check.corporate.periodic.guarantor": "normal",
            "check.corporate.periodic.project.on_time": True,
        },
    ),
    ("corporate", "zh", "老板说争取按期竣工，但从现场看不可能了。", {}),
    ("corporate", "zh", "预计能按期竣工。", {"check.corporate.periodic.project.on_time": True}),
    (
        "individual",
        "en",
        "Her sister runs a salon with 10 staff. She has 6 staff. Turnover this year so far 400k.",
        {STAFF + "headcount_total": 6, REV + "year_to_date": 400_000},
    ),
    # Last year's or last visit's staff are not today's; a change's starting figure is not the
    # figure now.
    (
        "corporate",
        "en",
        "Last year they had 40 staff, now 35. Rent went up to 20k a month from 15k. Turnover "
        "last year 3 million, this year so far 1.2 million.",
        {
            STAFF + "headcount_total": 35,
            REV + "last_year": 3_000_000,
            REV + "year_to_date": 1_200_000,
        },
    ),
    (
        "individual",
        "zh",
        "上次来的时候员工8个。房租从五千涨到了六千。",
        {STAFF + "monthly_rent": 6000},
    ),
    # Terse notes: a topic answered in its own clause ends where the business is answered
    # again; one described over several clauses does not.
    (
        "individual",
        "zh",
        "借款人本人接待，保证人正常，员工20个，月租8000，抵押物完好，去年营业额300万",
        {
            BIZ + "interviewee": "borrower",
            STAFF + "headcount_total": 20,
            STAFF + "monthly_rent": 8000,
            REV + "last_year": 3_000_000,
            "check.individual.periodic.guarantor": "normal",
            "check.individual.periodic.collateral_intact": "intact",
        },
    ),
    (
        "corporate",
        "zh",
        "保证人是他表哥的建材公司，员工两百多人，去年营业额一个亿，经营正常。抵押物完好，面积300平。",
        {
            COL + "area": 300,
            "check.corporate.periodic.guarantor": "normal",
            "check.corporate.periodic.collateral_intact": "intact",
        },
    ),
    ("individual", "en", "We were received by the borrower's wife.", {}),
    # Notes as "key: value": the value after the colon denies or answers.
    (
        "individual",
        "zh",
        "接待人：借款人本人；员工：7人；月租：4500元；他行贷款：无；对外担保：无；未决诉讼：无",
        {
            BIZ + "interviewee": "borrower",
            STAFF + "headcount_total": 7,
            STAFF + "monthly_rent": 4500,
            DEBT + "other_debts": False,
            DEBT + "guarantees": False,
            DEBT + "open_disputes": False,
        },
    ),
    (
        "corporate",
        "en",
        "Interviewee: CFO. Receivables: RMB 6m, terms 60 days. Payables: RMB 4m, terms 45 days. "
        "Guarantees: none. Litigation: none.",
        {
            BIZ + "interviewee": "finance_head",
            LIQ + "receivables": 6_000_000,
            LIQ + "receivables_terms": 60,
            LIQ + "payables": 4_000_000,
            LIQ + "payables_terms": 45,
            DEBT + "guarantees": False,
            DEBT + "open_disputes": False,
        },
    ),
    ("individual", "zh", "店面是自己的，不用交房租。", {STAFF + "monthly_rent": 0}),
    # Number words with a hyphen are one number; a period named after its figure; a cue after
    # a figure with another figure between is not the first one's.
    (
        "individual",
        "en",
        "He employs thirty people, about twenty-five of them were working today. Turnover last "
        "year was 1.2 million yuan and RMB 300k so far this year.",
        {
            STAFF + "headcount_total": 30,
            STAFF + "headcount_present": 25,
            REV + "last_year": 1_200_000,
            REV + "year_to_date": 300_000,
        },
    ),
    (
        "individual",
        "en",
        "They run 12 vans, staff total 15 on site today.",
        {STAFF + "headcount_total": 15},
    ),
    # Farmland in 亩 is not the premises.
    ("individual", "zh", "果园承包了两百亩，雇了工人6个", {STAFF + "headcount_total": 6}),
    (
        "corporate",
        "en",
        "Turnover last year was RMB 3.4m; 12 staff, 10 on site.",
        {
            REV + "last_year": 3_400_000,
            STAFF + "headcount_total": 12,
            STAFF + "headcount_present": 10,
        },
    ),
    # The answer comes in the clause after the one that names the question.
    (
        "corporate",
        "zh",
        "保证人是老板的哥哥，情况正常。最大的客户是一家电商仓，大约占销售额四成。",
        {
            "check.corporate.periodic.guarantor": "normal",
            "flow.interview.supply_chain.top_customer_share": 40,
        },
    ),
    (
        "individual",
        "en",
        "Staff 5, on duty 4. Rent 9.5k a month. Nothing went into property.",
        {
            STAFF + "headcount_total": 5,
            STAFF + "headcount_present": 4,
            STAFF + "monthly_rent": 9500,
            "check.individual.purpose.real_estate": False,
        },
    ),
]


# Dictation without stops, the owner by kind, corrections, ranges, denials over "及", the loan a
# guarantee is for, English number words with scales, last year's state of things.
NARRATIVES += [
    (
        "corporate",
        "zh",
        "嗯接待的是老板本人然后员工一共四十个左右然后在岗的三十五个工资大概五千左右"
        "房租一个月三万二嗯去年营业额差不多两千万",
        {
            BIZ + "interviewee": "actual_controller",
            STAFF + "headcount_total": 40,
            STAFF + "headcount_present": 35,
            STAFF + "avg_monthly_wage": 5000,
            STAFF + "monthly_rent": 32000,
            REV + "last_year": 20_000_000,
        },
    ),
    (
        "individual",
        "zh",
        "老板娘本人在，店员三五个，月租一万一，他行无贷款，有一笔民间借款八万",
        {
            BIZ + "interviewee": "borrower",
            STAFF + "monthly_rent": 11000,
            DEBT + "other_debts": True,
            DEBT + "other_debts_amount": 80000,
        },
    ),
    (
        "individual",
        "zh",
        "没有其他银行贷款及民间借贷，给她妹妹担保了一笔二十万的房贷",
        {
            DEBT + "other_debts": False,
            DEBT + "guarantees": True,
            DEBT + "guarantees_amount": 200_000,
        },
    ),
    (
        "corporate",
        "en",
        "met the boss, staff is thirty no sorry thirty-five, revenue last year about four million",
        {
            BIZ + "interviewee": "actual_controller",
            STAFF + "headcount_total": 35,
            REV + "last_year": 4_000_000,
        },
    ),
    (
        "corporate",
        "zh",
        "应收账款大概三百万哦不对是三百五十万，去年的营业额是一个亿左右",
        {"flow.interview.liquidity.receivables": 3_500_000, REV + "last_year": 100_000_000},
    ),
    (
        "individual",
        "zh",
        "去年生意还行，今年生意比去年差了一点，行情也不太好",
        {
            "check.individual.periodic.business": "declining",
            "check.individual.periodic.market": "worse",
        },
    ),
    (
        "individual",
        "en",
        "the owner herself was there um three staff today uh rent about seven thousand a month",
        {
            BIZ + "interviewee": "borrower",
            STAFF + "headcount_total": 3,
            STAFF + "monthly_rent": 7000,
        },
    ),
    # A filler between a cue and its figure does not part them.
    (
        "individual",
        "zh",
        "她自己接待的 今年到现在 嗯 八十万左右 员工 嗯 十二个",
        {
            BIZ + "interviewee": "borrower",
            REV + "year_to_date": 800_000,
            STAFF + "headcount_total": 12,
        },
    ),
    # English dictation without stops: what a relative has stays the relative's.
    (
        "individual",
        "en",
        "she met me herself she has nine staff seven in today she also mentioned her husband "
        "has a car loan with another bank but she herself has no other borrowing",
        {
            BIZ + "interviewee": "borrower",
            STAFF + "headcount_total": 9,
            STAFF + "headcount_present": 7,
            DEBT + "other_debts": False,
        },
    ),
    # Who received the officer, in the words of notes and of a company visit.
    (
        "corporate",
        "en",
        "Project visit. Hosted by the CFO, Mr. He. Company operations normal.",
        {BIZ + "interviewee": "finance_head", "check.corporate.periodic.operations": "normal"},
    ),
    (
        "corporate",
        "zh",
        "接待的是他们的一个业务员小周 企业目前生产正常",
        {BIZ + "interviewee": "other_staff", "check.corporate.periodic.operations": "normal"},
    ),
    # A pause in dictation where a writer puts a comma: the figure still belongs to its cue,
    # and a correction after a pause still replaces it.
    (
        "corporate",
        "zh",
        "最大的客户是一家建筑公司 占了销售的四成 应急资金随时能动的 嗯 大概十万 不对 他说是十二万",
        {SUP + "top_customer_share": 40, LIQ + "emergency_funds": 120_000},
    ),
    # A change denied in the clause after the one that names the thing.
    (
        "individual",
        "zh",
        "主营还是做建材贸易，没变。员工8个，今天都在岗。贷款50万已经全部用完了",
        {
            BIZ + "main_business_changed": False,
            STAFF + "headcount_total": 8,
            STAFF + "headcount_present": 8,
            USE + "amount_used": 500_000,
        },
    ),
    # Terse notes: the answer after a space; English figures in yuan with thousands commas;
    # the loan this visit is about is no other debt.
    (
        "corporate",
        "zh",
        "鼎盛装饰 老板本人 对外担保 无 纠纷 无 年租金6万元",
        {
            BIZ + "interviewee": "actual_controller",
            DEBT + "guarantees": False,
            DEBT + "open_disputes": False,
        },
    ),
    (
        "individual",
        "en",
        "She borrowed 100,000 from us and has spent 80,000 on new equipment. Turnover last "
        "year was around 700,000 yuan and so far this year about 330,000. Closed until the 10th.",
        {
            USE + "amount_used": 80_000,
            REV + "last_year": 700_000,
            REV + "year_to_date": 330_000,
        },
    ),
    # Notes parted by spaces: the option before its cue; a denial names nobody; "都在" is
    # all of them only when they are here.
    (
        "corporate",
        "zh",
        "回访 明辉五金制品厂 老板 林总 接待 店里请了四个人 加上他两口子一共六个 "
        "今天都在别的工地上干活",
        {BIZ + "interviewee": "actual_controller", STAFF + "headcount_total": 6},
    ),
    (
        "corporate",
        "zh",
        "到了恒通物流 没人接待 园区门卫说老板跟财务都不在",
        {},
    ),
    (
        "individual",
        "zh",
        "早餐店 老板刘大姐自己在 没在别的地方借钱 还款就靠每天卖早点的钱",
        {BIZ + "interviewee": "borrower", DEBT + "other_debts": False},
    ),
    # The contract named without 用途; money "的钱" is no person's; a year said as 一整年.
    (
        "individual",
        "zh",
        "贷款二十万，用了十八万进货，和合同一样。去年一整年是九十万左右。还款靠卖货的钱，压力一般。",
        {
            USE + "amount_used": 180_000,
            USE + "used_as_agreed": "as_agreed",
            REV + "last_year": 900_000,
            PAY + "repayment_source": "operating_income",
            PAY + "pressure": "moderate",
        },
    ),
    (
        "corporate",
        "en",
        "last year takings about one point two million, revenue this year so far about 3 "
        "million. Repayment from shop income, 700k used on inventory per contract.",
        {
            REV + "last_year": 1_200_000,
            REV + "year_to_date": 3_000_000,
            PAY + "repayment_source": "operating_income",
            USE + "amount_used": 700_000,
            USE + "used_as_agreed": "as_agreed",
        },
    ),
    # Trades as people (三个美容师); a weekday or "那一角" is no figure; a period cue followed by
    # its own figure leaves the one before it to the cue before that.
    (
        "individual",
        "zh",
        "请了三个美容师 约了下周二再来 店面 两百平 但是 东边那一角 漏水",
        {STAFF + "headcount_total": 3, STAFF + "office_area": 200},
    ),
    (
        "individual",
        "en",
        "he says last year he took in roughly 380000 this year so far about 150k",
        {REV + "last_year": 380_000, REV + "year_to_date": 150_000},
    ),
    # A share is no sum of money: "百分之十五" after an investment named in the sentence before.
    (
        "corporate",
        "zh",
        "刘总说公司去年拿了八百万投了一个光伏项目 占股百分之十五",
        {DEBT + "investments": True},
    ),
]


@pytest.mark.parametrize(
    ("kind", "lang", "text", "expected"),
    NARRATIVES,
    ids=[f"{n:02d}" for n in range(len(NARRATIVES))],
)
def test_a_paragraph_fills_what_it_states_and_nothing_else(checklist, kind, lang, text, expected):
    found = Debriefer().extract_rules(text, offered(checklist, kind), lang=lang, kind=kind)
    assert {a.item_id: a.value for a in found} == expected
    for answer in found:
        assert checklist.item(answer.item_id).accepts(answer.value)
        assert answer.text and answer.text in text


def test_there_are_enough_development_narratives():
    assert len(NARRATIVES) >= 30
    assert sum(lang == "en" for _, lang, _, _ in NARRATIVES) >= 5


def test_results_follow_the_order_of_the_items_and_mark_estimates(checklist):
    items = offered(checklist, "corporate")
    found = Debriefer().extract_rules("在岗26，员工30，月薪4500左右", items, lang="zh")
    assert [a.item_id for a in found] == [
        STAFF + "headcount_total",
        STAFF + "headcount_present",
        STAFF + "avg_monthly_wage",
    ]
    assert [a.approximate for a in found] == [False, False, True]
    assert found[2] == Extracted(STAFF + "avg_monthly_wage", 4500, True, "月薪4500左右")


def test_only_the_items_passed_in_are_filled_and_never_text(checklist):
    headcount = checklist.item(STAFF + "headcount_total")
    found = Debriefer().extract_rules("员工30，在岗26，工行还有500万贷款", [headcount], lang="zh")
    assert [a.item_id for a in found] == [headcount.id]
    parent = checklist.item(DEBT + "other_debts")
    found = Debriefer().extract_rules("工行还有500万贷款", [parent], lang="zh")
    assert [(a.item_id, a.value) for a in found] == [(parent.id, True)]
    text_item = checklist.item(USE + "actual_use")
    assert Debriefer().extract_rules("贷款用途是进货", [text_item], lang="zh") == []


def test_two_different_values_for_one_question_cancel(checklist):
    found = Debriefer().extract_rules(
        "员工30。员工40。", offered(checklist, "corporate"), lang="zh"
    )
    assert found == []


def test_an_amount_under_a_choice_stands_when_the_choice_was_answered_before(checklist):
    items = offered(checklist, "individual")
    text = "不符的金额6万，其余的付了货款。员工5个。"
    diverted = {USE + "diverted_amount"}  # the check's "涉及金额" repeats it (same_as)

    def filled(answered: dict[str, Any] | None) -> set[str]:
        found = Debriefer().extract_rules(text, items, lang="zh", answered=answered)
        return {a.item_id for a in found}

    assert filled(None) == {STAFF + "headcount_total"}
    assert filled({USE + "used_as_agreed": "partly"}) == {STAFF + "headcount_total", *diverted}
    assert filled({USE + "used_as_agreed": "as_agreed"}) == {STAFF + "headcount_total"}


def test_a_repeated_question_is_left_to_the_one_it_repeats(checklist):
    items = offered(checklist, "corporate")
    found = Debriefer().extract_rules("贷款用途和合同一致", items, lang="zh")
    assert [a.item_id for a in found] == [USE + "used_as_agreed"]


@pytest.mark.parametrize(
    ("item_id", "written", "expected"),
    [
        (STAFF + "headcount_total", "三十来个", (30, True)),
        (STAFF + "monthly_rent", "两万二", (22000, False)),
        (LIQ + "receivables", "500万", (5_000_000, False)),
        (LIQ + "receivables_share", "三成", (30, False)),
        (STAFF + "avg_monthly_wage", "8k", (8000, False)),
        (DEBT + "guarantees", "没有", (False, False)),
        (PAY + "pressure", "一般", ("moderate", False)),
        (STAFF + "headcount_total", "二三十个", None),
        (STAFF + "headcount_total", "20到30", None),
        (LIQ + "receivables_share", "不到三成", None),
        (STAFF + "headcount_total", "over 50", None),
    ],
)
def test_a_written_value_is_read_as_a_typed_answer(checklist, item_id, written, expected):
    assert read_value(written, checklist.item(item_id)) == expected


class FakeStructuredModel:
    """A chat model whose structured output is fixed; records what it was asked."""

    def __init__(self, facts: list[dict[str, str]]) -> None:
        self.facts = facts
        self.asked: list[Any] = []

    def with_structured_output(self, schema: Any) -> Any:
        async def ainvoke(messages: Any) -> Any:
            self.asked.append(messages)
            return schema.model_validate({"facts": self.facts})

        return SimpleNamespace(ainvoke=ainvoke)


async def test_the_model_adds_only_what_the_text_holds_and_the_question_accepts(checklist):
    model = FakeStructuredModel(
        [
            {"id": STAFF + "office_area", "value": "一百二十平", "quote": "铺子一百二十平"},
            {"id": STAFF + "headcount_present", "value": "26", "quote": "不在文中"},
            {"id": LIQ + "inventory", "value": "90万", "quote": "铺子一百二十平"},
            {"id": "flow.no.such", "value": "1", "quote": "铺子一百二十平"},
            {"id": LIQ + "receivables_share", "value": "二三成", "quote": "应收二三成"},
        ]
    )
    debriefer = Debriefer(LlmComponent(model, PROMPTS_DIR / "llm"))
    text = "员工30，铺子一百二十平，应收二三成"
    found = await debriefer.extract(text, offered(checklist, "individual"), lang="zh")
    assert {a.item_id: a.value for a in found} == {
        STAFF + "headcount_total": 30,
        STAFF + "office_area": 120,
    }
    assert len(model.asked) == 1
    assert STAFF + "headcount_total" not in str(model.asked[0][1].content), "rules filled it"


async def test_without_a_model_extract_is_the_rules(checklist):
    items = offered(checklist, "individual")
    assert await Debriefer().extract("员工30", items, lang="zh") == Debriefer().extract_rules(
        "员工30", items, lang="zh"
    )


async def test_a_failing_model_leaves_the_rules_answers(checklist):
    class Broken:
        def with_structured_output(self, schema: Any) -> Any:
            raise ConnectionError("down")

    debriefer = Debriefer(LlmComponent(Broken(), PROMPTS_DIR / "llm"))
    found = await debriefer.extract("员工30", offered(checklist, "individual"), lang="zh")
    assert [(a.item_id, a.value) for a in found] == [(STAFF + "headcount_total", 30)]


def test_the_services_carry_the_debriefer(services):
    assert isinstance(services.debrief, Debriefer)
    assert services.debrief.llm is None
