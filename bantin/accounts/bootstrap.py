"""The first administrator and the demo accounts `make run` prints.

The first admin gets a generated password printed once; `bantin user reset-password
admin` makes a new one. Demo accounts are flagged `demo` (the desk shows a banner
"TÀI KHOẢN THỬ NGHIỆM") and get generated passwords too: never a password in the code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.accounts.users import NewUser, add_user, reset_password
from bantin.core.account_models import UserAccount
from bantin.core.models import Agency, Unit

DEMO = [
    NewUser("demo.bientap", "Biên tập (thử nghiệm)", "editor", agency="BAOVL", demo=True),
    NewUser("demo.duyet", "Người duyệt (thử nghiệm)", "approver", agency="BAOVL", demo=True),
    NewUser(
        "demo.vanhoa", "Cán bộ văn hóa (thử nghiệm)", "culture", groups=("thi-diem",), demo=True
    ),
    NewUser("demo.kiemtra", "Kiểm tra (thử nghiệm)", "auditor", demo=True),
]


def first_admin(session: Session, actor: str, now: datetime) -> str | None:
    """Create `admin` with a one-time password when no admin exists; None otherwise."""
    exists = session.scalar(select(UserAccount.id).where(UserAccount.role == "admin"))
    if exists is not None:
        return None
    _, password = add_user(session, NewUser("admin", "Quản trị", "admin"), None, actor, now)
    return password


def demo_users(session: Session, actor: str, now: datetime) -> list[tuple[str, str, str]]:
    """(user, role, new password) of each demo account, created or given a new password.

    Accounts whose agency or units are not in this database are skipped."""
    out = []
    for new in DEMO:
        if new.agency and session.get(Agency, new.agency) is None:
            continue
        if new.units and any(session.get(Unit, u) is None for u in new.units):
            continue
        found = session.scalar(select(UserAccount).where(UserAccount.username == new.username))
        if found is None:
            _, password = add_user(session, new, None, actor, now)
        else:
            password = reset_password(session, new.username, None, actor, now)
        out.append((new.username, new.role, password))
    return out
