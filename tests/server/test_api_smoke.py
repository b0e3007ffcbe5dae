from tests.server.api_client import Api


async def test_a_member_reads_what_another_posted(api: Api) -> None:
    ani, _ = await api.user("ani")
    budi, _ = await api.user("budi")
    room = await api.room(ani)
    await api.join_by_invite(ani, budi, room["id"])
    sent = await api.call(
        "POST", f"/api/rooms/{room['id']}/messages", ani, json={"text": "halo"}, expect=201
    )
    page = await api.call("GET", f"/api/rooms/{room['id']}/messages", budi)
    assert [m["id"] for m in page["messages"]] == [sent["id"]]
