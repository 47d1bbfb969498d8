"""What a browser would post from a page's form, read from the HTML the admin served."""

from bs4 import BeautifulSoup

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


def posted_values(html, action):
    """{name: [values]} of the controls of the form posting to `action` (a path), as a
    browser would send them and the test client takes them."""
    forms = BeautifulSoup(html, "html.parser").find_all("form")
    form = next((f for f in forms if f.get("action", "").split("?")[0] == action), None)
    assert form is not None, f"no form posting to {action} in the page"
    data = {}
    for control in form.find_all(["input", "select", "textarea"]):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        values = data.setdefault(name, [])
        if control.name == "textarea":
            values.append(control.text.removeprefix("\n"))
        elif control.name == "select":
            options = control.find_all("option")
            chosen = [option for option in options if option.has_attr("selected")]
            if not chosen and options and not control.has_attr("multiple"):
                chosen = options[:1]
            values.extend(option.get("value", option.text) for option in chosen)
        else:
            kind = control.get("type", "text")
            if kind in SKIPPED_INPUTS:
                continue
            if kind in ("checkbox", "radio"):
                if control.has_attr("checked"):
                    values.append(control.get("value", "on"))
            else:
                values.append(control.get("value", ""))
    return data
