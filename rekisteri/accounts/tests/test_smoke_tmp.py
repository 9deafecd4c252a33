def test_login_page(client, db):
    r = client.get("/accounts/login/")
    assert r.status_code == 200, r.content
    print(r.content.decode()[:3000])
