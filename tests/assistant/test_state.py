from assistant.db.database import Database
from assistant.state import StateStore


async def test_state_round_trips_and_deletes(database: Database):
    store = StateStore(database)
    await store.save("user_data", "42", {"awaiting": [["中文", "lang:zh"]]})
    await store.save("user_data", "43", {"x": 1})
    await store.save("user_data", "43", {"x": 2})
    assert await store.load("user_data") == {
        "42": {"awaiting": [["中文", "lang:zh"]]},
        "43": {"x": 2},
    }
    await store.save("user_data", "42", {})
    assert await store.load("user_data") == {"43": {"x": 2}}
    assert await store.load("other") == {}
