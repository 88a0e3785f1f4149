"""The OpenAI-compatible model client (the only importer of openai), reply schema, prompts,
rate limiter and the meaning of model errors.

Floor 4: imports bot.plan.build, bot.output and the floors below.
"""
