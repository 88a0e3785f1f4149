"""The OpenAI-compatible model client (the only importer of openai): requests and the
structured-output ladder, reply schema, prompts, rate limiter, concurrency slots, liveness
probe, the meaning of model errors, and the tool loop (function calling on the wire).

Floor 4: imports bot.plan.build, bot.output and the floors below.
"""
