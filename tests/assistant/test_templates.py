from concurrent.futures import ThreadPoolExecutor

from assistant.templates import word_environment


def test_the_word_template_is_compiled_once_not_at_every_report() -> None:
    env = word_environment()
    assert word_environment() is env
    source = "<w:t>{{ client }}</w:t>"
    first = env.from_string(source)
    assert env.from_string(source) is first
    assert first.render(client="张记 & 子") == "<w:t>张记 &amp; 子</w:t>"  # escaped for XML
    assert env.from_string("<w:t>{{ other }}</w:t>") is not first


def test_the_kept_templates_are_bounded_and_shared_by_threads() -> None:
    env = word_environment()
    sources = [f"<w:t>{{{{ n }}}}{i}</w:t>" for i in range(3 * env.KEPT)]  # type: ignore[attr-defined]
    with ThreadPoolExecutor(4) as pool:
        rendered = list(pool.map(lambda s: env.from_string(s).render(n=1), sources))
    assert rendered == [f"<w:t>1{i}</w:t>" for i in range(3 * env.KEPT)]  # type: ignore[attr-defined]
    assert len(env._compiled) == env.KEPT  # type: ignore[attr-defined]
