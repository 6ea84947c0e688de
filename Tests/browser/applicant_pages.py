#!/usr/bin/env python3
"""Drives the applicant pages of a running `zerotrip serve` in headless Chromium, as a phone and as a desktop.

Environment: ZT_URL (the daemon), ZT_HOME (its directory, for `zerotrip identity outbox`), ZT_BIN (the zerotrip
executable), ZT_ID / ZT_NAME (the applicant), ZT_VIEWER (a department that verified one of the applicant's results
before this runs), ZT_OTHER_DOC (a result of another person), ZT_SHOTS (where screenshots go).
Prints one line per check; exits 1 on the first failure with what was seen.
"""
import io
import os
import re
import subprocess
import tempfile
import time

import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By

from pagecheck import SHOTS, URL, browser, check, desktop, fits, passed, path, phone, shot, submit


def narrow(driver):
    phone(driver, 320, 640)


def main():
    driver = browser()
    try:
        run(driver)
    finally:
        driver.quit()
    passed()


def run(driver):
    phone(driver)
    driver.get(URL + "/my")
    check(path(driver) == "/my/login", "signed out, /my leads to the login page", path(driver))
    check("禅城区" in driver.find_element(By.CSS_SELECTOR, "header").text, "the page names the district",
          driver.find_element(By.CSS_SELECTOR, "header").text)
    fits(driver, "login (390 px)")
    shot(driver, "login-phone")

    driver.find_element(By.ID, "idNumber").send_keys(os.environ["ZT_ID"])
    driver.find_element(By.ID, "name").send_keys(os.environ["ZT_NAME"])
    submit(driver, "form.card button", lambda d: path(d) == "/my/login/code")
    check(path(driver) == "/my/login/code", "ID number and name lead to the code page", path(driver))

    outbox = subprocess.run([os.environ["ZT_BIN"], "identity", "outbox", "--last", "1"], cwd=os.environ["ZT_HOME"],
                            capture_output=True, text=True, timeout=60).stdout
    code = re.search(r"验证码为(\d{6})", outbox)
    check(code is not None, "the SMS outbox holds a code", outbox)
    driver.find_element(By.ID, "code").send_keys("000000" if code.group(1) != "000000" else "111111")
    submit(driver, "form.card button", lambda d: len(d.find_elements(By.CSS_SELECTOR, ".error")) > 0)
    check("验证码不正确" in driver.find_element(By.CSS_SELECTOR, ".error").text, "a wrong code is refused in Chinese",
          driver.page_source[:300])
    driver.find_element(By.ID, "code").send_keys(code.group(1))
    submit(driver, "form.card button", lambda d: path(d) == "/my/")
    check(path(driver) == "/my/", "the right code signs in", path(driver))

    session = next((c for c in driver.get_cookies() if c["name"] == "zt_session"), None)
    check(session is not None and session.get("httpOnly") is True and session.get("sameSite") == "Strict",
          "the session cookie is HttpOnly and SameSite=Strict", str(session and {k: session.get(k) for k in ("httpOnly", "sameSite", "path")}))

    links = driver.find_elements(By.CSS_SELECTOR, "a[href^='/my/documents/']")
    check(len(links) >= 1, "my results are listed", driver.page_source[:500])
    check("有效" in driver.find_element(By.CSS_SELECTOR, ".list").text, "a result shows its status")
    fits(driver, "results (390 px)")
    shot(driver, "results-phone")

    submit(driver, "a[href^='/my/documents/']", lambda d: path(d).startswith("/my/documents/"))
    check(len(driver.find_elements(By.CSS_SELECTOR, "figure.qr svg")) == 1, "a result shows its QR code large")
    size = driver.find_element(By.CSS_SELECTOR, "figure.qr svg").size
    check(size["width"] >= 250, "the QR code is at least 250 px wide on a phone", str(size))
    # What a scanner at the counter reads off the phone's screen (zxing-cpp, not our code): the verification address.
    code = driver.find_element(By.CSS_SELECTOR, "figure.qr svg")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", code)
    png = code.screenshot_as_png
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        with open(os.path.join(SHOTS, "result-qr-phone.png"), "wb") as file:
            file.write(png)
    picture = Image.open(io.BytesIO(png))
    scanned = [result.text for result in zxingcpp.read_barcodes(picture)]
    check(len(scanned) == 1 and "/V/?ZT1:" in scanned[0], "the QR code on the screen scans as the verification address", str(scanned)[:120])
    facts = driver.find_element(By.CSS_SELECTOR, "table.facts").text
    check(os.environ["ZT_NAME"] in facts and "文书编号" in facts, "the result shows its signed facts", facts[:200])
    check(len(driver.find_elements(By.LINK_TEXT, "下载 PDF 原件")) == 1, "the result offers its PDF")
    fits(driver, "result (390 px)")
    shot(driver, "result-phone")
    document_path = path(driver)

    downloads = tempfile.mkdtemp(prefix="zt-downloads-")
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver.find_element(By.LINK_TEXT, "下载 PDF 原件").click()
    pdfs = []
    for _ in range(100):
        pdfs = [name for name in os.listdir(downloads) if name.endswith(".pdf")]
        if pdfs:
            break
        time.sleep(0.1)
    check(len(pdfs) == 1 and pdfs[0] == document_path.rsplit("/", 1)[1] + ".pdf", "the PDF downloads under its number", str(os.listdir(downloads)))
    with open(os.path.join(downloads, pdfs[0]), "rb") as file:
        check(file.read(5) == b"%PDF-", "the download is the PDF")

    narrow(driver)
    driver.get(URL + document_path)
    fits(driver, "result (320 px)")
    phone(driver)

    driver.get(URL + "/my/access")
    listed = driver.find_element(By.CSS_SELECTOR, "main").text
    check(os.environ["ZT_VIEWER"] in listed and "核验了您的文书" in listed, "who looked at my data names the verifying department",
          listed[:400])
    fits(driver, "access (390 px)")
    shot(driver, "access-phone")

    # Consent from the phone: let GAJ use the 个人参保证明 for 居住登记, see it listed, withdraw it.
    driver.get(URL + "/my/consents")
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("居住登记" in page and "个人参保证明" in page and "还没有授权" in page, "the consent page offers 居住登记 and names what it reads", page[:400])
    driver.find_element(By.CSS_SELECTOR, "select#matter option[value='JZDJ']").click()
    submit(driver, "form.card button[type=submit]", lambda d: "撤回授权" in d.find_element(By.CSS_SELECTOR, "main").text)
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("禅城区公安分局" in page and "有效" in page and "手机授权" in page, "the grant is listed with the department and the channel", page[:500])
    fits(driver, "consents (390 px)")
    shot(driver, "consents-phone")
    submit(driver, "form[action$='/withdraw'] button", lambda d: "已撤回" in d.find_element(By.CSS_SELECTOR, "main").text)
    check("已撤回" in driver.find_element(By.CSS_SELECTOR, "main").text, "the withdrawn grant says so")

    # 好差评: the finished 居住登记 invites a rating; once given it is listed, and the public ranking shows GAJ.
    driver.get(URL + "/my/messages")
    check("欢迎对本次服务评价" in driver.find_element(By.CSS_SELECTOR, "main").text, "the invitation to rate is among the messages")
    driver.get(URL + "/my/ratings")
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("居住登记" in page and "满意程度" in page, "the rating form names the service", page[:400])
    narrow(driver)
    fits(driver, "ratings (320 px)")
    phone(driver)
    driver.find_element(By.CSS_SELECTOR, "form.card input[name=score][value='5']").click()
    driver.find_element(By.CSS_SELECTOR, "form.card input[name=t_fast]").click()
    driver.find_element(By.CSS_SELECTOR, "form.card textarea[name=comment]").send_keys("一次就办好了")
    shot(driver, "ratings-phone")
    submit(driver, "form.card button[type=submit]", lambda d: "已评价" in d.find_element(By.CSS_SELECTOR, "main").text)
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("已评价" in page and "★★★★★" in page and "办理快" in page and "满意程度" not in page, "the rating is listed, the form gone", page[:400])
    # 投诉: from the same page, about a department; listed with its deadline until the department answers.
    driver.find_element(By.CSS_SELECTOR, "select#cdep option[value='GAJ']").click()
    driver.find_element(By.CSS_SELECTOR, "select#ccause option[value='materials']").click()
    driver.find_element(By.CSS_SELECTOR, "textarea#ctext").send_keys("窗口要求重复提交已经提交过的材料")
    submit(driver, "form[action='/my/complaints'] button[type=submit]", lambda d: "办理中" in d.find_element(By.CSS_SELECTOR, "main").text)
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("窗口要求重复提交已经提交过的材料" in page and "材料要求过多或重复提交" in page and "前答复" in page,
          "the complaint is listed with its cause and deadline", page[-600:])
    narrow(driver)
    fits(driver, "ratings with a complaint (320 px)")
    phone(driver)
    driver.execute_script("document.querySelector(\"form[action='/my/complaints']\").scrollIntoView()")
    shot(driver, "complaints-phone")
    # Demand collection: 子女入学 next year, from the link on the ratings page.
    driver.find_element(By.CSS_SELECTOR, "a[href='/my/needs']").click()
    driver.find_element(By.CSS_SELECTOR, "select#kind option[value='schooling']").click()
    boxes = driver.find_elements(By.CSS_SELECTOR, "form.card input[name^='y_']")
    check(len(boxes) == 6, "this year and the five after are offered", str(len(boxes)))
    boxes[1].click()
    driver.find_element(By.CSS_SELECTOR, "form.card textarea[name=detail]").send_keys("小学一年级")
    submit(driver, "form.card button[type=submit]", lambda d: "已登记的需求" in d.find_element(By.CSS_SELECTOR, "main").text)
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("子女入学" in page and "小学一年级" in page, "the need is listed", page[:400])
    narrow(driver)
    fits(driver, "needs (320 px)")
    phone(driver)
    shot(driver, "needs-phone")
    # 量化积分: the demo's run scored everyone; the page explains each item, takes a claim with a photo, and issues
    # the signed 积分证明.
    driver.get(URL + "/my/points")
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("合计" in page and "年龄" in page and "人口登记信息" in page and "申报需要证明的项目" in page,
          "the points page shows the score with its sources and the claimable items", page[:600])
    narrow(driver)
    fits(driver, "points (320 px)")
    phone(driver)
    shot(driver, "points-phone")
    photo = os.path.join(tempfile.mkdtemp(), "diploma.png")
    Image.new("RGB", (64, 48), (200, 30, 30)).save(photo)
    form = driver.find_elements(By.CSS_SELECTOR, "form[action='/my/points/claims']")[0]
    form.find_element(By.CSS_SELECTOR, "select[name=option] option[value='本科']").click()
    form.find_element(By.CSS_SELECTOR, "textarea[name=statement]").send_keys("华南理工大学 2012 届")
    form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(photo)
    submit(driver, "form[action='/my/points/claims'] button[type=submit]", lambda d: "我的申报" in d.find_element(By.CSS_SELECTOR, "main").text)
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("我的申报" in page and "学历：本科" in page and "审核中" in page, "the claim with its photo is listed as under review", page[:800])
    shot(driver, "points-claim-phone")
    # Signed in by SMS code (tier 1): the credit item, and the total with it, are withheld; so is the certificate,
    # which prints them.
    check("“信用等级”由信用等级得出，需认证等级 2" in page and "合计分也一并隐藏" in page and not driver.find_elements(By.CSS_SELECTOR, "p.total")
          and not driver.find_elements(By.CSS_SELECTOR, "form[action='/my/points/certificate']"),
          "a tier-1 session sees its points without the credit item, the total or the certificate, and is told why", page[:800])

    driver.get(URL + "/figures")
    page = driver.find_element(By.CSS_SELECTOR, "main").text
    check("第 1 名 · 禅城区公安分局" in page and "1 条评价" in page and "综合得分" in page, "the public ranking counts the rating", page[:500])
    narrow(driver)
    fits(driver, "figures (320 px)")
    phone(driver)
    shot(driver, "figures-phone")
    check(len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")) == 12, "the monthly chart has a bar for each of 12 months")
    driver.execute_script("document.querySelector('svg.chart').scrollIntoView({block: 'center'})")
    shot(driver, "figures-chart-phone")

    driver.get(URL + "/my/credit")
    check("认证等级 2" in driver.find_element(By.CSS_SELECTOR, "main").text, "credit asks a tier-1 session to step up, saying how")
    driver.get(URL + "/my/messages")
    check(driver.find_element(By.CSS_SELECTOR, "h1").text == "消息", "the messages page opens")

    driver.get(URL + "/my/documents/" + os.environ["ZT_OTHER_DOC"])
    check(driver.find_element(By.CSS_SELECTOR, "h1").text == "找不到这份文书", "another person's result is not shown",
          driver.find_element(By.CSS_SELECTOR, "main").text[:200])
    check(os.environ["ZT_OTHER_DOC"][:8] not in driver.find_element(By.CSS_SELECTOR, "main").text, "nothing of it is on the page")

    desktop(driver)
    driver.get(URL + "/my/")
    fits(driver, "results (1280 px)")
    shot(driver, "results-desktop")
    driver.get(URL + document_path)
    fits(driver, "result (1280 px)")
    shot(driver, "result-desktop")

    submit(driver, "form.logout button", lambda d: path(d) == "/my/login")
    check(path(driver) == "/my/login", "logging out leads to the login page", path(driver))
    driver.get(URL + "/my/")
    check(path(driver).startswith("/my/login"), "after logout, /my asks to sign in again", path(driver))


if __name__ == "__main__":
    main()
