"""Each person sees exactly the clients their role allows: own, team, or all."""

from tests.conftest import ADMIN_ID, BotHarness, Team

ALL_CODES = {"C001", "C002", "C003", "C004", "C009"}


def codes_in(text: str) -> set[str]:
    return {code for code in ALL_CODES if code in text}


async def test_an_officer_sees_only_their_own_clients(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/clients")
    assert codes_in(officer.last_text) == {"C001", "C002"}
    assert officer.last.button_labels == ["C001 张记五金店", "C002 鑫盛机械有限公司"]


async def test_a_supervisor_sees_the_team_and_who_handles_each(bot: BotHarness, team: Team):
    supervisor = bot.chat(team.supervisor)
    await supervisor.send("/clients")
    assert codes_in(supervisor.last_text) == {"C001", "C002", "C003", "C004"}
    assert "经办：李娜" in supervisor.last_text


async def test_an_admin_sees_everyone(bot: BotHarness, team: Team):
    admin = bot.chat(ADMIN_ID)
    await admin.send("/clients")
    assert codes_in(admin.last_text) == ALL_CODES


async def test_the_client_card_shows_loans_guarantors_and_collateral(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/clients")
    await officer.press("C001 张记五金店")
    card = officer.last_text
    assert "张记五金店" in card
    assert "个人经营贷款" in card
    assert "300,000.00 元" in card
    assert "约定用途：进货周转" in card
    assert "已 12 天" in card
    assert "担保人：张父" in card
    assert "抵押物：商铺" in card
    assert "45.50 平方米" in card


async def test_another_teams_client_is_not_revealed(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/client C009")
    assert "没有找到客户「C009」" in officer.last_text
    assert "别组客户公司" not in officer.last_text
    await officer.send("/client NOPE")
    assert (
        officer.last_text.replace("NOPE", "C009")
        == officer.api.chat_messages(team.officer)[-2].text
    )


async def test_a_forged_button_cannot_open_another_officers_client(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/clients")
    await officer.press_data("cl:C009")
    assert "没有找到客户「C009」" in officer.last_text
    assert all("别组客户公司" not in m.text for m in bot.api.chat_messages(team.officer))


async def test_an_english_speaker_gets_an_english_card(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/lang en")
    await officer.send("/client c001")
    assert "personal business loan" in officer.last_text
    assert "Agreed purpose: 进货周转" in officer.last_text


async def test_markup_in_a_client_name_is_shown_as_text(bot: BotHarness, team: Team):
    from sqlalchemy import update

    from assistant.db.models import Client

    async with bot.services.database.session() as session:
        await session.execute(
            update(Client).where(Client.code == "C001").values(name="A&B <i>五金</i>")
        )
    officer = bot.chat(team.officer)
    await officer.send("/client C001")
    assert "A&B <i>五金</i>" in officer.last_text
    assert "A&amp;B &lt;i&gt;五金&lt;/i&gt;" in officer.last.text_html
