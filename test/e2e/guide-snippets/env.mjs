import OpenAI from "openai";

// Automatically uses OPENAI_API_BASE and OPENAI_API_KEY from env
const client = new OpenAI();

const response = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Hello!" }],
});

console.log(response.choices[0].message.content);
