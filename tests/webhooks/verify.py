"""Verify one Parlor webhook request with the Standard Webhooks reference library.

Reads {"secret", "headers", "body"} as JSON on stdin; exits 0 when the signature is
valid, 1 (with the library's reason) when it is not.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

request = json.load(sys.stdin)
try:
    Webhook(request["secret"]).verify(request["body"], request["headers"])
except WebhookVerificationError as e:
    print(f"not verified: {e}", file=sys.stderr)
    sys.exit(1)
