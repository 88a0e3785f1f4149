"""The OpenAI-compatible model client (the only importer of openai): requests and the
structured-output ladder, reply schema, prompts, rate limiter, concurrency slots, liveness
probe, and the meaning of model errors.

Floor 4: imports bot.plan.build, bot.output and the floors below.
"""
