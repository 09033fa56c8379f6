"""Small things a person does in the browser tests."""


def double_click(page, selector: str) -> None:
    """Two clicks 80 ms apart, like an impatient person: the second lands before the answer.

    (Playwright's `dblclick` fires both clicks in the same instant, and Chromium folds two form
    submissions that close into one, so it would not catch a form that posts twice.)
    """
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(80)
    page.mouse.click(x, y)


def posts_of(page) -> list[str]:
    """A list that fills with the path of every POST the page sends from now on."""
    posts: list[str] = []
    page.on(
        "request",
        lambda r: r.method == "POST" and posts.append(r.url.removeprefix(page.base_url)),
    )
    return posts
