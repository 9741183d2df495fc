"""Permission checks for API views through the one permission matrix
(accounts.permissions), with the key's role or the signed-in user's role."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.permissions import Op, user_can


class OpPermission(BasePermission):
    """Views say which Op each action needs:

    - `action_ops = {"archive": Op.CLIENT_ARCHIVE, ("tenants", "POST"): Op.M365_CONNECT}`
      for named actions (optionally per HTTP method),
    - else `read_op` (default Op.VIEW) for safe methods and `write_op` otherwise.
    A request without an MSP scope is refused outright.
    """

    def required_op(self, request, view) -> Op:
        ops = getattr(view, "action_ops", {})
        action = getattr(view, "action", None)
        if (action, request.method) in ops:
            return ops[(action, request.method)]
        if action in ops:
            return ops[action]
        if request.method in SAFE_METHODS:
            return getattr(view, "read_op", Op.VIEW)
        return view.write_op

    def has_permission(self, request, view):
        user = request.user
        if not getattr(user, "is_authenticated", False) or getattr(request, "msp", None) is None:
            return False
        if user.msp_id != request.msp.pk:
            return False
        op = self.required_op(request, view)
        self.message = f"Your role cannot perform: {op.value.replace('_', ' ')}."
        return user_can(user, op)
