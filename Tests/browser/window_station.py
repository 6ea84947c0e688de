#!/usr/bin/env python3
"""Drives the window station of a running `zerotrip serve` (demo district) in headless Chromium at desktop size:
a clerk of 公安分局 signs in, reads 黄丽华 (C: no 容缺) and 陈建国 (B: 容缺) for 居住登记, takes 陈建国's 容缺 application
from submission through the signed commitment, acceptance, review and approval to an issued 居住登记凭证 that verifies,
and finds it in the list of open obligations; then records 张三丰's consent at the counter after a card check and
submits his 居住登记 with his RSJ 个人参保证明 standing for the employment proof.

Environment: ZT_URL, ZT_WINDOW_TOKEN (the GAJ demo credential), ZT_STATISTICS_TOKEN (the ZSJ demo credential, which reads
the statistics), ZT_SHOTS (screenshots).
Prints one line per check; exits 1 on the first failure.
"""
import os

from selenium.webdriver.common.by import By

from pagecheck import URL, browser, check, desktop, fits, main_text, passed, path, phone, shot, submit


def look_up(driver, id_number):
    driver.get(URL + "/window/")
    driver.find_element(By.ID, "idNumber").send_keys(id_number)
    submit(driver, "form.card button", lambda d: path(d).startswith("/window/person"))


def main():
    driver = browser()
    try:
        run(driver)
    finally:
        driver.quit()
    passed()


def run(driver):
    driver.get(URL + "/window")
    check(path(driver) == "/window/login", "signed out, the station asks the clerk to sign in", path(driver))
    driver.find_element(By.ID, "credential").send_keys("zt_0000000000000000_wrong")
    driver.find_element(By.ID, "clerkId").send_keys("GA-0042")
    driver.find_element(By.ID, "clerkName").send_keys("赵文静")
    driver.find_element(By.ID, "station").send_keys("3号窗口")
    submit(driver, "form.card button", lambda d: len(d.find_elements(By.CSS_SELECTOR, ".error")) > 0)
    check("凭证无效" in main_text(driver), "a wrong credential is refused in Chinese", main_text(driver)[:200])
    driver.find_element(By.ID, "credential").send_keys(os.environ["ZT_WINDOW_TOKEN"])
    submit(driver, "form.card button", lambda d: path(d) == "/window/")
    check(path(driver) == "/window/", "the clerk signs in", path(driver) + " " + main_text(driver)[:200])
    check("赵文静（GA-0042）" in main_text(driver) and "3号窗口" in main_text(driver), "the station shows who is signed in at which counter")

    look_up(driver, "440604198807220626")
    text = main_text(driver)
    check("黄丽华" in text and "信用等级 C" in text and "不能容缺受理" in text, "黄丽华 reads as C: no 容缺, with the reason", text[:400])
    check(len(driver.find_elements(By.CSS_SELECTOR, "input[value=trust]")) == 0, "no 容缺 choice is offered for her")

    look_up(driver, "440604197803150419")
    text = main_text(driver)
    check("陈建国" in text and "信用等级 B" in text and "可以容缺受理" in text and "近期免冠照片" in text,
          "陈建国 reads as B: 容缺 available, naming the materials that may follow", text[:400])
    fits(driver, "person (1280 px)")
    shot(driver, "window-person-desktop")
    person = path(driver)

    # The tier-3 path at the counter: card read and face check, then a code the applicant's phone scans.
    driver.find_element(By.CSS_SELECTOR, "details summary").click()
    driver.find_element(By.ID, "cardFrom").send_keys("2018-04-15")
    driver.find_element(By.ID, "cardUntil").send_keys("2038-04-15")
    driver.find_element(By.CSS_SELECTOR, "form[action='/window/person/card'] input[name=faceMatched]").click()
    submit(driver, "form[action='/window/person/card'] button", lambda d: "身份已核验" in main_text(d))
    check("身份已核验" in main_text(driver) and len(driver.find_elements(By.CSS_SELECTOR, "figure.qr svg")) == 1,
          "the card check shows a hand-off code for the applicant's phone", main_text(driver)[:300])
    shot(driver, "window-card-desktop")
    link = driver.find_element(By.CSS_SELECTOR, "p.note a").get_attribute("href")
    handoff = link[link.index("/my/handoff"):]
    phone(driver)
    driver.get(URL + handoff)
    check("确认登录" in main_text(driver), "the phone asks to confirm before signing in", main_text(driver)[:200])
    submit(driver, "form.card button", lambda d: path(d) == "/my/")
    check(path(driver) == "/my/" and "认证等级 3" in main_text(driver), "the phone is signed in at tier 3", path(driver) + " " + main_text(driver)[-200:])
    driver.get(URL + handoff)
    submit(driver, "form.card button", lambda d: len(d.find_elements(By.CSS_SELECTOR, ".error")) > 0)
    check("窗口登录码无效" in main_text(driver), "the code works once", main_text(driver)[:200])
    desktop(driver)
    driver.get(URL + person)
    for code in ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]:
        driver.find_element(By.NAME, "m_" + code).click()
    driver.find_element(By.CSS_SELECTOR, "input[value=trust]").click()
    submit(driver, "form[action='/window/applications'] button", lambda d: path(d).startswith("/window/applications/"))
    check(path(driver).startswith("/window/applications/"), "the 容缺 application is submitted", path(driver) + " " + main_text(driver)[:300])
    application = path(driver)
    text = main_text(driver)
    check("已提交" in text and "信用承诺书" in text and "就业或就读证明" in text, "it shows the commitment to print and what is missing", text[:500])

    driver.find_element(By.ID, "validFrom").send_keys("2018-04-15")
    driver.find_element(By.ID, "validUntil").send_keys("2038-04-15")
    driver.find_element(By.NAME, "faceMatched").click()
    submit(driver, "form[action$='/commit'] button", lambda d: "已签署" in main_text(d))
    check("已签署" in main_text(driver), "the applicant signs after the card read", main_text(driver)[:400])

    for step, then in [("accept", "已受理"), ("review", "审查中"), ("approve", "已批准")]:
        submit(driver, f"form[action$='/{step}'] button", lambda d, then=then: then in main_text(d))
        check(then in main_text(driver), f"{step}: the application is {then}", main_text(driver)[:300])
    fields = driver.find_elements(By.CSS_SELECTOR, "form[action$='/issue'] input[name^='f_']")
    check(len(fields) == 2, "issuing asks for the result's two fields", str(len(fields)))
    fields[0].send_keys("佛山市禅城区祖庙街道建新路12号")
    fields[1].send_keys("务工")
    submit(driver, "form[action$='/issue'] button", lambda d: "已出结果" in main_text(d))
    text = main_text(driver)
    check("已出结果" in text and "结果文书" in text, "the 居住登记凭证 is issued at once under 容缺", text[:400])
    fits(driver, "application (1280 px)")
    shot(driver, "window-application-desktop")

    driver.get(URL + "/window/obligations")
    text = main_text(driver)
    check("陈建国 · 居住登记" in text and "补交截止" in text and "未到期" in text, "the open obligation is listed with its deadline", text[:400])
    shot(driver, "window-obligations-desktop")

    driver.get(URL + application)
    submit(driver, "a[href^='/V/?']", lambda d: "有效" in d.find_element(By.TAG_NAME, "body").text)
    check("有效" in driver.find_element(By.TAG_NAME, "body").text, "the issued result verifies on the public page")

    # Results instead of paper: 张三丰 consents at the counter after a card check; his RSJ 个人参保证明 stands for
    # the employment proof of 居住登记.
    look_up(driver, "440104199001010010")
    person = path(driver)
    text = main_text(driver)
    check("调用电子证照" in text and "尚未授权" in text and "请先读卡核验" in text, "without consent the page says how to get it", text[:600])
    driver.find_element(By.CSS_SELECTOR, "details summary").click()
    driver.find_element(By.ID, "cardFrom").send_keys("2016-01-01")
    driver.find_element(By.ID, "cardUntil").send_keys("2036-01-01")
    driver.find_element(By.CSS_SELECTOR, "form[action='/window/person/card'] input[name=faceMatched]").click()
    submit(driver, "form[action='/window/person/card'] button", lambda d: "身份已核验" in main_text(d))
    driver.get(URL + person)
    submit(driver, "form[action='/window/consents'] button", lambda d: "办事人已授权" in main_text(d))
    text = main_text(driver)
    check("办事人已授权本部门调用" in text and "至本次办件办结" in text, "the window consent is recorded for this application", text[:600])
    chosen = driver.find_element(By.CSS_SELECTOR, "select[name=d_EMPLOYMENT_PROOF] option:checked").text
    check("个人参保证明" in chosen and "有效至" in chosen, "his 个人参保证明 is offered for the employment proof", chosen)
    fits(driver, "person with results (1280 px)")
    driver.execute_script("document.querySelector('select[name=d_EMPLOYMENT_PROOF]').scrollIntoView({block: 'center'})")
    shot(driver, "window-reuse-desktop")
    for code in ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]:
        driver.find_element(By.NAME, "m_" + code).click()
    submit(driver, "form[action='/window/applications'] button", lambda d: path(d).startswith("/window/applications/"))
    text = main_text(driver)
    check("已提交" in text and "✔ 就业或就读证明" in text and "常规" in text, "submitted in the standard way with the result as the material", text[:500])

    # The missing material is handed in: the clerk records it and the obligation closes.
    driver.get(URL + application)
    driver.find_element(By.NAME, "m_EMPLOYMENT_PROOF").click()
    submit(driver, "form[action$='/fulfil'] button", lambda d: "待补材料" not in d.find_element(By.CSS_SELECTOR, "table.facts").text)
    check("待补材料" not in driver.find_element(By.CSS_SELECTOR, "table.facts").text and "✔ 就业或就读证明" in main_text(driver),
          "recording the handed-in material closes the obligation", main_text(driver)[:400])
    driver.get(URL + "/window/obligations")
    check("陈建国 · 居住登记" not in main_text(driver), "the obligation leaves the open list", main_text(driver)[:300])

    # 积分审核: the department's queue of points claims and disputes (the demo has none waiting).
    driver.get(URL + "/window/points")
    text = main_text(driver)
    check("待审核的积分申报（0）" in text and "没有待审核的申报" in text and "待办理的复核（0）" in text and "以工号" in text,
          "the points review tab shows both queues and under which clerk number decisions are made", text[:400])
    shot(driver, "window-points-desktop")

    # 投诉: the department's complaints waiting for a supervisor's answer.
    driver.get(URL + "/window/complaints")
    text = main_text(driver)
    check("待答复的投诉（" in text and "督办人员" in text and "个工作日内" in text,
          "the complaints tab shows the queue and who answers by when", text[:400])
    shot(driver, "window-complaints-desktop")

    # Readable on a narrow screen too (a clerk's tablet, or a phone).
    phone(driver, 360, 740)
    for page in [application, person, "/window/applications", "/window/points", "/window/complaints"]:
        driver.get(URL + page)
        fits(driver, f"{page.split('?')[0]} (360 px)")
    desktop(driver)

    driver.get(URL + "/window/")
    submit(driver, "form.logout button", lambda d: path(d) == "/window/login")
    driver.get(URL + "/window/")
    check(path(driver).startswith("/window/login"), "after signing out the station asks to sign in again", path(driver))

    # A supervisor of 政务服务数据管理局 (statistics:read) at the same station: the 统计 tab with tables and charts.
    driver.find_element(By.ID, "credential").send_keys(os.environ["ZT_STATISTICS_TOKEN"])
    driver.find_element(By.ID, "clerkId").send_keys("ZS-0001")
    driver.find_element(By.ID, "clerkName").send_keys("周建华")
    driver.find_element(By.ID, "station").send_keys("督办室")
    submit(driver, "form.card button", lambda d: path(d) == "/window/")
    driver.find_element(By.CSS_SELECTOR, "a[href='/window/statistics']").click()
    text = main_text(driver)
    check(path(driver) == "/window/statistics" and "受理与办结" in text and "禅城区公安分局" in text and "审查时间" in text and "投诉" in text,
          "the supervisor's statistics page shows the district's tables", text[:600])
    check(len(driver.find_elements(By.CSS_SELECTOR, "main svg")) >= 2, "with charts drawn as SVG")
    shot(driver, "window-statistics-desktop")
    phone(driver, 360, 740)
    fits(driver, "/window/statistics (360 px)")
    desktop(driver)


if __name__ == "__main__":
    main()
