def test_mentor_home_redirects_to_my_week(as_user, mentor, participant):
    response = as_user(mentor.user).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/week/"
