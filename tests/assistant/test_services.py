from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

from assistant.config import Settings
from assistant.services import build_knowledge, build_services


def test_a_question_s_arithmetic_uses_the_threads_set_for_it(tmp_path: Path) -> None:
    """numpy's BLAS otherwise starts a spinning thread per core, beside the event loop."""
    settings = Settings(_env_file=None, data_dir=tmp_path, knowledge_threads=1)
    with threadpool_limits(limits=4, user_api="blas"):
        build_knowledge(settings)
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_report_files_are_built_by_the_workers_set_for_them(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, report_workers=2, ocr_engine="none")
    services = build_services(settings)
    assert services.reports.files.workers == 2
    assert Settings(_env_file=None, data_dir=tmp_path).report_workers == 1
